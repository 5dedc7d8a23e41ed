/**
 * Misuses of the API (compile, fit, evaluate, predict, trainOnBatch, setWeights, layers):
 * each must throw an error naming the argument and the value, before any GPU work, leaving
 * the model's weights bit-equal and no GPU buffer behind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, createDevice, layers, modelCheckpoint, optimizers, type FitArgs } from '../../src/index.js';
import { testDevice } from '../helpers/gpu.js';
import { CLASSES, compiledTinyModel, expectRefused, tinyData, tinyModel } from './harness.js';

type Case = [name: string, misuse: (m: Sequential) => unknown, message: RegExp];

const { x, y } = tinyData();
const fit = (m: Sequential, options: unknown) => m.fit(x, y, { verbose: 0, ...(options as FitArgs) });

const fitCases: Case[] = [
  ['batchSize 0', (m) => fit(m, { batchSize: 0 }), /fit: batchSize must be a positive integer, got 0/],
  ['batchSize -2', (m) => fit(m, { batchSize: -2 }), /fit: batchSize must be a positive integer, got -2/],
  ['batchSize 1.5', (m) => fit(m, { batchSize: 1.5 }), /fit: batchSize must be a positive integer, got 1.5/],
  ['batchSize as a string', (m) => fit(m, { batchSize: '32' }), /fit: batchSize must be a positive integer, got "32"/],
  ['epochs -1', (m) => fit(m, { epochs: -1 }), /fit: epochs must be a non-negative integer, got -1/],
  ['epochs NaN', (m) => fit(m, { epochs: NaN }), /fit: epochs must be a non-negative integer, got NaN/],
  ['initialEpoch past epochs', (m) => fit(m, { epochs: 1, initialEpoch: 3 }), /fit: initialEpoch must be an integer in 0..epochs \(1\), got 3/],
  ['validationSplit 1.5', (m) => fit(m, { validationSplit: 1.5 }), /fit: validationSplit must be a fraction between 0 and 1, got 1.5/],
  ['validationSplit -0.1', (m) => fit(m, { validationSplit: -0.1 }), /fit: validationSplit must be a fraction between 0 and 1, got -0.1/],
  ['validationSplit and validationData', (m) => fit(m, { validationSplit: 0.5, validationData: [x, y] }), /fit: give validationSplit or validationData, not both/],
  ['validationData not a pair', (m) => fit(m, { validationData: [x] }), /fit: validationData must be \[x, y\]/],
  ['validationData x of the wrong length', (m) => fit(m, { validationData: [x.subarray(0, 35), y] }), /validationData x has 35 values/],
  ['verbose 2', (m) => fit(m, { verbose: 2 }), /fit: verbose must be 0 or 1, got 2/],
  ['progressEvery 0', (m) => fit(m, { progressEvery: 0 }), /fit: progressEvery must be a positive integer, got 0/],
  ['shuffle "yes"', (m) => fit(m, { shuffle: 'yes' }), /fit: shuffle must be true or false, got "yes"/],
  ['a snake_case option', (m) => fit(m, { batch_size: 2 }), /fit: unknown option 'batch_size' \(did you mean batchSize\?\)/],
  ['an unknown option', (m) => fit(m, { lr: 0.1 }), /fit: unknown option 'lr' \(known: batchSize/],
  ['options null', (m) => m.fit(x, y, null as unknown as FitArgs), /fit: options must be an object/],
  ['a callback that is not a function', (m) => fit(m, { callbacks: { onEpochEnd: 'log' } }), /fit: callbacks.onEpochEnd must be a function, got "log"/],
  ['an unknown callback', (m) => fit(m, { callbacks: [{}, { on_epoch_end: () => {} }] }), /fit: callbacks\[1\]: unknown callback 'on_epoch_end'/],
  ['a callback that is a function', (m) => fit(m, { callbacks: [() => {}] }), /fit: callbacks\[0\] must be an object such as \{ onEpochEnd\(epoch, logs\) \{...\} \}, got a function/],
  ['the old checkpoint option', (m) => fit(m, { checkpoint: { path: 'run.ckpt' } }), /fit: unknown option 'checkpoint' \(known: /],
  ['a checkpoint in a missing folder', (m) => fit(m, { callbacks: [modelCheckpoint('/no/such/folder/run.ckpt')] }), /modelCheckpoint \/no\/such\/folder\/run.ckpt: the folder \/no\/such\/folder does not exist/],
  ['a snake_case checkpoint option', () => modelCheckpoint('run.ckpt', { save_freq: 5 } as never), /modelCheckpoint: unknown option 'save_freq' \(it takes saveFreq\)/],
  ['a checkpoint target that is a number', () => modelCheckpoint(7 as never), /modelCheckpoint needs a file path or a write\(bytes, epoch, batch\) function, got 7/],
  ['terminateOnNaN "no"', (m) => fit(m, { terminateOnNaN: 'no' }), /fit: terminateOnNaN must be true or false, got "no"/],
  ['x a plain array', (m) => m.fit(Array.from(x) as unknown as Float32Array, y), /x must be a Float32Array in NHWC order, got Array/],
  ['x not a whole number of samples', (m) => m.fit(x.subarray(0, 40), y), /x has 40 values, which is not a whole number of samples of shape \[6,6,1\]/],
  ['x empty', (m) => m.fit(new Float32Array(0), new Uint8Array(0)), /x is empty: give at least one sample of shape \[6,6,1\]/],
  ['predict of nothing', (m) => m.predict(new Float32Array(0)), /x is empty: give at least one sample of shape \[6,6,1\]/],
  ['a Rescaling per channel', () => layers.rescaling({ scale: [1, 2] as never }), /Rescaling: scale must be one finite number \(per-channel scales are not supported\), got \[1,2\]/],
  ['a Reshape with two -1', () => layers.reshape({ targetShape: [-1, -1] }), /Reshape: targetShape must be a list of positive sizes with at most one -1, got \[-1,-1\]/],
  ['x holding NaN', (m) => m.fit(Float32Array.from(x, (v, i) => (i === 37 ? NaN : v)), y), /x holds NaN at index 37 \(sample 1\)/],
  ['a label out of range', (m) => m.fit(x, Uint8Array.from([0, 1, 3, 1])), /y: label 3 of sample 2 is outside the 3 classes \(0..2\)/],
  ['too few labels', (m) => m.fit(x, Uint8Array.from([0, 1])), /y has 2 labels for 4 samples/],
  ['a one-hot value of 2', (m) => m.fit(x, new Float32Array(4 * CLASSES).fill(2)), /y: target value 2 at index 0 is not a probability/],
  ['labels as a Float64Array', (m) => m.fit(x, new Float64Array(4) as unknown as Uint8Array), /y must be integer labels .* got Float64Array/],
];

const otherCases: Case[] = [
  ['evaluate batchSize 0', (m) => m.evaluate(x, y, { batchSize: 0 }), /evaluate: batchSize must be a positive integer, got 0/],
  ['evaluate with an unknown option', (m) => m.evaluate(x, y, { verbose: 0 } as never), /evaluate: unknown option 'verbose' \(known: batchSize\)/],
  ['evaluate a negative label', (m) => m.evaluate(x, Int32Array.from([0, -1, 0, 0])), /y: label -1 of sample 1 is outside the 3 classes/],
  ['predict batchSize -2', (m) => m.predict(x, { batchSize: -2 }), /predict: batchSize must be a positive integer, got -2/],
  ['predict batchSize Infinity', (m) => m.predict(x, { batchSize: Infinity }), /predict: batchSize must be a positive integer, got Infinity/],
  ['predict options as a string', (m) => m.predict(x, '32' as never), /predict: options must be an object such as \{ batchSize: ... \}, got "32"/],
  ['predict an input holding Infinity', (m) => m.predict(Float32Array.from(x, (v, i) => (i === 5 ? Infinity : v))), /x holds Infinity at index 5 \(sample 0\)/],
  ['trainOnBatch x of the wrong length', (m) => m.trainOnBatch(x.subarray(0, 50), y), /x has 50 values/],
  ['trainOnBatch a label out of range', (m) => m.trainOnBatch(x, Uint8Array.from([9, 0, 0, 0])), /y: label 9 of sample 0 is outside the 3 classes/],
  ['a compiled step of batch 0', (m) => m.compiledStep('train', 0), /compiledStep: batch must be a positive integer, got 0/],
  ['a compiled step too large for the device', (m) => m.compiledStep('train', 2 ** 30), /tensor '.*' \[.*\] needs .* GB, over this device's storage binding limit .* by .*: use a batchSize of at most \d+/],
];

const weightCases: Case[] = [
  ['setWeights with a NaN', async (m) => m.setWeights((await m.getWeights()).map((w, i) => (i === 0 ? w.map((v, j) => (j === 4 ? NaN : v)) : w))), /weight conv2d\/kernel: value NaN at index 4 is not finite; nothing was written/],
  ['setWeights with Infinity in a bias', async (m) => m.setWeights((await m.getWeights()).map((w, i) => (i === 3 ? w.map((v, j) => (j === 2 ? -Infinity : v)) : w))), /weight dense\/bias: value -Infinity at index 2 is not finite/],
  ['setWeights with too few arrays', async (m) => m.setWeights((await m.getWeights()).slice(1)), /expected 4 weight arrays \(conv2d\/kernel, conv2d\/bias, dense\/kernel, dense\/bias\), got 3/],
  ['setWeights with a short array', async (m) => m.setWeights((await m.getWeights()).map((w, i) => (i === 2 ? w.subarray(1) : w))), /weight dense\/kernel: expected 96 values for shape \[32,3\], got 95/],
  ['setWeights with a Float64Array', async (m) => m.setWeights((await m.getWeights()).map((w, i) => (i === 1 ? (Float64Array.from(w) as unknown as Float32Array) : w))), /weight conv2d\/bias: expected a Float32Array/],
];

/** Misuses of an uncompiled model or of layer constructors; the shared model must stay untouched by them. */
const compileCases: [string, () => unknown, RegExp][] = [
  ['compile with a raw GPUDevice', async () => tinyModel().compile({ device: (await testDevice()).gpu as never, optimizer: 'sgd' }), /compile: device must come from createDevice\(\) .* got a raw GPUDevice/],
  ['compile without a device', () => tinyModel().compile({ optimizer: 'sgd' } as never), /compile: device must come from createDevice\(\) .* got undefined/],
  ['compile with a device name', () => tinyModel().compile({ device: 'gpu', optimizer: 'sgd' } as never), /compile: device must come from createDevice\(\) .* got "gpu"/],
  ['compile without arguments', () => tinyModel().compile(undefined as never), /compile needs \{ device, optimizer \}/],
  ['compile without an optimizer', async () => tinyModel().compile({ device: await testDevice() } as never), /compile needs \{ optimizer \} \(e.g. 'adam' or optimizers.sgd/],
  ['compile with an unknown optimizer', async () => tinyModel().compile({ device: await testDevice(), optimizer: 'ftrl' as never }), /unknown optimizer "ftrl" \(supported: sgd, adam, adamw/],
  ['compile with a negative learning rate', async () => tinyModel().compile({ device: await testDevice(), optimizer: { kind: 'sgd', learningRate: -1 } }), /sgd: learningRate must be a non-negative number, got -1/],
  ['compile with two kinds of gradient clipping', async () => tinyModel().compile({ device: await testDevice(), optimizer: { kind: 'sgd', clipNorm: 1, clipValue: 0.5 } }), /sgd: only one of clipNorm, clipValue and globalClipNorm can be set \(as in Keras\), got clipNorm and clipValue/],
  ['compile with a clip norm of 0', async () => tinyModel().compile({ device: await testDevice(), optimizer: { kind: 'adam', globalClipNorm: 0 } }), /adam: globalClipNorm must be a positive number, got 0/],
  ['compile with a NaN learning rate', async () => tinyModel().compile({ device: await testDevice(), optimizer: { kind: 'adam', learningRate: NaN } }), /adam: learningRate must be a non-negative number, got NaN/],
  ['compile with an unknown loss', async () => tinyModel().compile({ device: await testDevice(), optimizer: 'sgd', loss: 'mse' as never }), /unknown loss 'mse'/],
  ['compile with an unknown metric', async () => tinyModel().compile({ device: await testDevice(), optimizer: 'sgd', metrics: ['precision' as never] }), /compile: unsupported metrics \["precision"\]: only \['accuracy'\]/],
  ['compile with seed -1', async () => tinyModel().compile({ device: await testDevice(), optimizer: 'sgd', seed: -1 }), /compile: seed must be a non-negative integer, got -1/],
  ['compile with seed 2^32', async () => tinyModel().compile({ device: await testDevice(), optimizer: 'sgd', seed: 2 ** 32 }), /compile: seed must be below 2\^32, got 4294967296/],
  ['compile with a snake_case option', async () => tinyModel().compile({ device: await testDevice(), optimizer: 'sgd', learning_rate: 1 } as never), /compile: unknown option 'learning_rate'/],
  [
    'compile a model too large for the device',
    async () => new Sequential([layers.conv2d({ filters: 64, kernelSize: 3, inputShape: [28, 28, 1] }), layers.flatten(), layers.dense({ units: 1_000_000, activation: 'softmax' })]).compile({ device: await testDevice(), optimizer: 'sgd' }),
    /the parameters need 173.1 GB, over this device's storage binding limit of .* by .*The largest weight is Dense layer 'dense' kernel \[43264,1000000\] \(173.1 GB\): use fewer units in 'dense'/,
  ],
  ['compile with Adam beta1 1', async () => tinyModel().compile({ device: await testDevice(), optimizer: { kind: 'adam', beta1: 1 } }), /adam: beta1 must be below 1, got 1/],
  ['compile with RMSprop rho 1.5', async () => tinyModel().compile({ device: await testDevice(), optimizer: optimizers.rmsprop({ rho: 1.5 }) }), /rmsprop: rho must be at most 1, got 1.5/],
  ['compile with SGD momentum 2', async () => tinyModel().compile({ device: await testDevice(), optimizer: optimizers.sgd({ momentum: 2 }) }), /sgd: momentum must be at most 1, got 2/],
  ['compile with a learning rate as a string', async () => tinyModel().compile({ device: await testDevice(), optimizer: { kind: 'sgd', learningRate: '0.1' as never } }), /sgd: learningRate must be a number, got "0.1"/],
  ['compile with nesterov 1', async () => tinyModel().compile({ device: await testDevice(), optimizer: optimizers.sgd({ nesterov: 1 as never }) }), /sgd: nesterov must be a boolean, got 1/],
  ['createDevice with adapter gpu', () => createDevice({ adapter: 'gpu' as never }), /createDevice: adapter must be one of auto, hardware, software, got "gpu"/],
  ['createDevice with a misspelt option', () => createDevice({ tunning: 'off' } as never), /createDevice: unknown option 'tunning' \(known: adapter, tuning, /],
  ['createDevice with options null', () => createDevice(null as never), /createDevice: options must be an object such as \{ tuning: 'measure' \}, got null/],
  ['Conv2D filters 0', () => layers.conv2d({ filters: 0, kernelSize: 3 }), /Conv2D: filters must be a positive integer, got 0/],
  ['Conv2D kernelSize [3]', () => layers.conv2d({ filters: 2, kernelSize: [3] as never }), /Conv2D: kernelSize must be a positive integer, got undefined/],
  ['Dense units 2.5', () => layers.dense({ units: 2.5 }), /Dense: units must be a positive integer, got 2.5/],
  ['Dropout rate 1', () => layers.dropout({ rate: 1 }), /Dropout: rate must be in \[0, 1\), got 1/],
  ['a misspelt initializer', () => layers.dense({ units: 3, kernelInitializer: 'he_normal' as never }), /Dense: kernelInitializer: unknown initializer 'he_normal' \(supported: glorotUniform/],
  ['an initializer without its arguments', () => layers.conv2d({ filters: 2, kernelSize: 3, biasInitializer: { kind: 'constant' } as never }), /Conv2D: biasInitializer: constant value must be a finite number, got undefined/],
  ['batch normalization center as a string', () => layers.batchNormalization({ center: 'false' as never }), /BatchNormalization: center must be true or false, got "false"/],
  ['a constraint of a misspelt kind', () => layers.dense({ units: 3, kernelConstraint: 'max_norm' as never }), /Dense: kernelConstraint: expected one of nonNeg, maxNorm, unitNorm, minMaxNorm or \{ kind, ... \}, got "max_norm"/],
  ['a negative max norm', () => layers.conv2d({ filters: 2, kernelSize: 3, kernelConstraint: { kind: 'maxNorm', maxValue: -1 } }), /Conv2D: kernelConstraint: maxNorm maxValue must be a finite number ≥ 0, got -1/],
  ['a conv kernel norm over its rows only', () => new Sequential([layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1], kernelConstraint: { kind: 'unitNorm', axis: 0 } }), layers.flatten(), layers.dense({ units: 2, activation: 'softmax' })]).summary(), /Conv2D layer 'conv2d.*': kernelConstraint: unitNorm over axis 0 of a weight of shape \[3,3,1,2\] is not supported: the engine takes the norm over \[0,1,2\]/],
  ['a conv kernel norm over a repeated axis', () => new Sequential([layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [5, 5, 1], kernelConstraint: { kind: 'maxNorm', axis: [0, 0, 1] } }), layers.flatten(), layers.dense({ units: 2, activation: 'softmax' })]).summary(), /maxNorm over axis \[0,0,1\] of a weight of shape \[3,3,1,2\] is not supported/],
  ['SpatialDropout2D rate NaN', () => layers.spatialDropout2d({ rate: NaN }), /SpatialDropout2D: rate must be in \[0, 1\), got NaN/],
  ['GaussianDropout rate as a string', () => layers.gaussianDropout({ rate: '0.5' as never }), /GaussianDropout: rate must be in \[0, 1\), got "0.5"/],
  ['an unknown activation', () => layers.dense({ units: 3, activation: 'hard_silu' as never }), /Dense: unknown activation 'hard_silu'/],
  ['an inputShape with -1', () => layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [28, -1, 1] }), /Conv2D: inputShape must be a list of positive integers such as \[28, 28, 1\], got \[28,-1,1\]/],
  ['BatchNormalization momentum 1.5', () => layers.batchNormalization({ momentum: 1.5 }), /BatchNormalization: momentum must be in \[0, 1\), got 1.5/],
  ['adding something that is not a layer', () => new Sequential([{ units: 3 } as never]), /Sequential.add expects a layer made by layers.\*\(\)/],
  ['a misspelt layer argument', () => layers.dense({ units: 3, activaton: 'relu' } as never), /Dense: unknown argument 'activaton' \(Dense takes units, activation, useBias, kernelInitializer, biasInitializer, kernelRegularizer, biasRegularizer, kernelConstraint, biasConstraint, activityRegularizer, name, inputShape, trainable\)/],
  ['Keras snake_case layer arguments', () => layers.maxPooling2d({ pool_size: 2, strides: 2, data_format: 'channels_last' } as never), /MaxPooling2D: unknown arguments 'pool_size', 'data_format' \(MaxPooling2D takes poolSize/],
  ['layer arguments that are not an object', () => layers.dropout(0.5 as never), /Dropout: takes an object of arguments, got 0.5/],
  ['a Flatten inputShape of [0]', () => layers.flatten({ inputShape: [0] }), /^Flatten: inputShape must be a list of positive integers/],
  ['compile a model without layers', async () => new Sequential().compile({ device: await testDevice(), optimizer: 'sgd' }), /the model has no layers: give them to new Sequential\(\[...\]\) or add\(\) them/],
  [
    'compile a model holding one layer twice',
    async () => {
      const hidden = layers.dense({ units: 6, activation: 'relu' });
      await new Sequential([layers.flatten({ inputShape: [6, 6, 1] }), layers.dense({ units: 6 }), hidden, hidden, layers.dense({ units: 3, activation: 'softmax' })]).compile({ device: await testDevice(), optimizer: 'sgd' });
    },
    /the Dense layer at position 4 is in this model twice: shared layers are not supported, create another with layers.\*\(\)/,
  ],
];

describe('API misuses are refused with the culprit named, weights bit-equal, no buffer left', () => {
  let model: Sequential;
  beforeAll(async () => {
    model = await compiledTinyModel();
  });

  it.each(fitCases)('fit: %s', async (_, misuse, message) => expectRefused(model, () => misuse(model), message));
  it.each(otherCases)('%s', async (_, misuse, message) => expectRefused(model, () => misuse(model), message));
  it.each(weightCases)('%s', async (_, misuse, message) => expectRefused(model, () => misuse(model), message));
  it.each(compileCases)('%s', async (_, misuse, message) => expectRefused(model, misuse, message));

  it('compile twice, and any call after dispose(), say what happened', async () => {
    await expectRefused(model, () => model.compile({ device: model.device, optimizer: 'sgd' }), /the model is already compiled/);
    const other = await compiledTinyModel();
    const device = await testDevice();
    const live = device.memory;
    other.dispose();
    expect(device.memory.buffers).toBeLessThan(live.buffers);
    await expectRefused(undefined, () => other.predict(x), /the model was disposed/);
    await expectRefused(undefined, () => other.getWeights(), /the model was disposed/);
    // A layer of a live model cannot join another (its weights are laid out in the first);
    // once that model is disposed, it can.
    const taken = model.layers[model.layers.length - 1];
    const second = () => new Sequential([layers.flatten({ inputShape: [6, 6, 1] }), taken]);
    await expectRefused(model, () => second().compile({ device, optimizer: 'sgd' }), /layer 'dense' is already in another model: shared layers are not supported/);
    const freed = other.layers[other.layers.length - 1];
    const reused = new Sequential([layers.flatten({ inputShape: [6, 6, 1] }), freed]);
    await reused.compile({ device, optimizer: 'sgd' });
    expect(reused.outputShape).toEqual([CLASSES]);
    reused.dispose();
    // The model still works after all of the above.
    expect((await model.predict(x)).every(Number.isFinite)).toBe(true);
  });
});
