/**
 * Files that real Keras 3 saved (test/fixtures/keras-files/generate.py): a .keras with Adam's
 * state, a legacy .h5 with BatchNormalization and SGD momentum, a flat-input .weights.h5,
 * float16 weights, TensorFlow's beginner model, which outputs logits, a model with
 * GlobalAveragePooling2D saved compiled but untrained, one that rescales raw pixels itself,
 * one with elu, selu, softplus, swish and gelu, one with kernel and bias regularizers, ones
 * trained with AdamW and Adamax, a functional model of one chain (.keras and .h5), one trained with
 * label smoothing, and LeNet-5 with zero padding and cropping. The expected figures are Keras' own: its test loss and accuracy on the first
 * 1,000 MNIST test images, its probabilities for the first 16, and, for the .keras, the
 * probabilities after one more Adam step from the saved state.
 */
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, fromKerasJson, layers, loadMnist, pixelRangeForModel, toKerasJson, toPixelRange, type Device } from '../../src/index.js';
import { encodeKerasModel, loadKerasWeights, loadModel } from '../../src/io/keras-file/index.js';
import { expectClose, testDevice } from '../helpers/gpu.js';

const DIR = 'test/fixtures/keras-files/';
const expected = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8'));
const bytes = (name: string) => new Uint8Array(readFileSync(DIR + name));

let device: Device;
let test: { images: Float32Array; labels: Uint8Array };
let train: { images: Float32Array; labels: Uint8Array };

beforeAll(async () => {
  device = await testDevice();
  const mnist = await loadMnist({ limit: expected['conv-adam.keras'].resume.batch, testLimit: expected['conv-adam.keras'].test_limit });
  test = mnist.test;
  train = mnist.train;
});

/** Keras' loss and accuracy on the same images (float noise only: one image may flip on a near tie), and its probabilities. */
async function expectKerasFigures(model: Sequential, figures: { loss: number; accuracy: number; probabilities: number[][] }, images = test.images): Promise<void> {
  const result = await model.evaluate(images, test.labels, { batchSize: 100 });
  expect(Math.abs(result.accuracy - figures.accuracy)).toBeLessThanOrEqual(1 / test.labels.length + 1e-6);
  expect(result.loss).toBeCloseTo(figures.loss, 4);
  const n = figures.probabilities.length;
  const probabilities = await model.predict(images.subarray(0, n * 784));
  // Keras rounded its probabilities to 7 decimals.
  expectClose(probabilities, figures.probabilities.flat(), { atol: 2e-5 }, 'probabilities');
}

/** The Random* layers' Keras configs but the names (Keras numbers them in its session) and its dtype policy objects. */
function augmentationConfigs(json: string): { class_name: string; config: string }[] {
  return JSON.parse(json)
    .config.layers.filter((l: { class_name: string }) => l.class_name.startsWith('Random'))
    .map((l: { class_name: string; config: Record<string, unknown> }) => {
      const { name, dtype, ...config } = l.config;
      return { class_name: l.class_name, config: JSON.stringify(config) };
    });
}

describe('Keras-made files', () => {
  it('conv-adam.keras: evaluates as in Keras, and resumes Adam from the saved state and step', async () => {
    const model = await loadModel(`${DIR}conv-adam.keras`);
    expect(model.layers.map((l) => l.name)).toEqual(['features', 'pool', 'flat', 'digits']);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's optimizer
    expect(model.trainingState().optimizer.config).toEqual({ kind: 'adam', learningRate: Math.fround(0.002), beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(model.trainingState().optimizerSteps).toBe(expected['conv-adam.keras'].resume.iterations - 1);
    await expectKerasFigures(model, expected['conv-adam.keras']);

    // One more step on the first 32 training images, as Keras' train_on_batch took after saving.
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.predict(test.images.subarray(0, 16 * 784));
    expectClose(after, expected['conv-adam.keras'].resume.probabilities.flat(), { atol: 1e-4 }, 'probabilities after a resumed Adam step');
    model.dispose();
  });

  it('a fresh Adam from the same weights takes a different step (so the test above checks the restored state)', async () => {
    const model = await loadModel(bytes('conv-adam.keras'), 'conv-adam.keras');
    await model.compile({ device, optimizer: { kind: 'adam', learningRate: Math.fround(0.002) } });
    expect(model.trainingState().optimizerSteps).toBe(0);
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.predict(test.images.subarray(0, 16 * 784));
    const expectedAfter = expected['conv-adam.keras'].resume.probabilities.flat();
    const worst = Math.max(...Array.from(after, (p, i) => Math.abs(p - expectedAfter[i])));
    expect(worst).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('conv-bn.h5 (legacy HDF5 of Keras 3): architecture, weights, BatchNormalization statistics and SGD momentum', async () => {
    const model = await loadModel(`${DIR}conv-bn.h5`);
    expect(model.layers.map((l) => l.name)).toEqual(['conv_a', 'norm', 'max_pooling2d', 'conv_b', 'max_pooling2d_1', 'flatten', 'dropout', 'classes']);
    await model.compile({ device });
    expect(model.trainingState().optimizer.config).toEqual({ kind: 'sgd', learningRate: Math.fround(0.05), momentum: 0.9, nesterov: false });
    await expectKerasFigures(model, expected['conv-bn.h5']);
    model.dispose();
  });

  it('dense.weights.h5: a flat-input model evaluates on NHWC MNIST images as Keras did on flattened ones', async () => {
    const model = fromKerasJson(readFileSync(`${DIR}dense.json`, 'utf8'));
    expect(model.inputShape).toEqual([784]);
    await model.compile({ device, optimizer: 'sgd' });
    await loadKerasWeights(model, `${DIR}dense.weights.h5`);
    await expectKerasFigures(model, expected['dense.weights.h5']);
    model.dispose();
  });

  it("quickstart.keras (TensorFlow's beginner model): 2-D input, a linear last layer and a from-logits loss; predict gives Keras' logits", async () => {
    const model = await loadModel(`${DIR}quickstart.keras`);
    expect(model.inputShape).toEqual([28, 28]);
    expect(model.initialState?.loss).toEqual({ name: 'sparseCategoricalCrossentropy', fromLogits: true, labelSmoothing: 0 });
    await model.compile({ device }); // the file's optimizer and loss
    expect(model.trainingState().loss).toEqual({ name: 'sparseCategoricalCrossentropy', fromLogits: true, labelSmoothing: 0 });
    // [28, 28] images hold the same values in the same order as MNIST's [28, 28, 1].
    await expectKerasFigures(model, expected['quickstart.keras']);
    model.dispose();
  });

  it('gap-untrained.keras: GlobalAveragePooling2D, and an Adam saved before its first step resumes as a fresh one at its learning rate', async () => {
    const model = await loadModel(`${DIR}gap-untrained.keras`);
    expect(model.layers.map((l) => l.className)).toEqual(['Conv2D', 'MaxPooling2D', 'Conv2D', 'GlobalAveragePooling2D', 'Dense']);
    await model.compile({ device }); // the file's optimizer: iterations and learning rate, no state yet
    expect(model.trainingState().optimizer.config).toMatchObject({ kind: 'adam', learningRate: Math.fround(3e-3) });
    expect(model.trainingState().optimizerSteps).toBe(0);
    await expectKerasFigures(model, expected['gap-untrained.keras']);
    model.dispose();
  });

  it('rescaling.keras: a model that scales raw pixels itself takes them in [0, 255], and gives Keras\' figures on them', async () => {
    const model = await loadModel(`${DIR}rescaling.keras`);
    expect(model.layers[0].className).toBe('Rescaling');
    expect(pixelRangeForModel(model)).toBe(255);
    await model.compile({ device });
    await expectKerasFigures(model, expected['rescaling.keras'], toPixelRange(test.images.slice(), 255));
    model.dispose();
  });

  it("activations.keras: elu, selu, softplus, swish (written 'silu') and gelu give Keras' figures, and are written back as Keras wrote them", async () => {
    const model = await loadModel(`${DIR}activations.keras`);
    expect(model.layers.map((l) => (l as { activation?: string }).activation)).toEqual(['elu', undefined, 'selu', undefined, 'softplus', undefined, 'silu', 'gelu', 'softmax']);
    await model.compile({ device });
    await expectKerasFigures(model, expected['activations.keras']);
    const written = JSON.parse(toKerasJson(model));
    expect(written.config.layers.map((l: { config: { activation?: string } }) => l.config.activation).filter(Boolean)).toEqual(['elu', 'selu', 'softplus', 'silu', 'gelu', 'softmax']);
    model.dispose();
  });

  it("more-activations.keras: relu6 (an activation, and ReLU(max_value=6)), softsign and mish give Keras' figures and Keras' next Adam step", async () => {
    const model = await loadModel(`${DIR}more-activations.keras`);
    expect(model.layers.map((l) => (l as { activation?: string }).activation).filter(Boolean)).toEqual(['relu6', 'linear', 'relu6', 'softsign', 'mish', 'softmax']);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's Adam
    await expectKerasFigures(model, expected['more-activations.keras']);
    // The step goes back through every one of them.
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.predict(test.images.subarray(0, 16 * 784));
    expectClose(after, expected['more-activations.keras'].resume.probabilities.flat(), { atol: 1e-4 }, 'probabilities after a resumed Adam step');
    model.dispose();
  });

  it("frozen.keras: a frozen feature extractor (trainable: false) under a trained classifier gives Keras' figures, and Keras' next Adam step leaves the features bit for bit", async () => {
    const model = await loadModel(`${DIR}frozen.keras`);
    expect(model.layers.map((l) => l.trainable)).toEqual([false, false, false, false, true, true]);
    // Keras 3.15.1's model.summary() of this file: Trainable params: 37,226, Non-trainable params: 664.
    expect(model.summary()).toMatch(/Trainable params: 37,226\b[\s\S]*Non-trainable params: 664\b/);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's Adam, for the classifier's 4 weights
    expect(model.trainingState().optimizerSteps).toBe(expected['frozen.keras'].resume.iterations - 1);
    await expectKerasFigures(model, expected['frozen.keras']); // the loss has the classifier's L2 penalty
    const before = await model.getWeights();
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.getWeights();
    expect(after.slice(0, 4)).toEqual(before.slice(0, 4)); // both convolutions' kernels and biases
    expect(after.slice(4).some((w, i) => w.some((v, j) => v !== before[4 + i][j]))).toBe(true);
    expectClose(await model.predict(test.images.subarray(0, 16 * 784)), expected['frozen.keras'].resume.probabilities.flat(), { atol: 1e-4 }, 'probabilities after a resumed Adam step');
    const trainable = (json: string) => JSON.parse(json).config.layers.slice(1).map((l: { config: { trainable: boolean } }) => l.config.trainable);
    expect(trainable(toKerasJson(model))).toEqual(trainable(new TextDecoder().decode(unzipSync(bytes('frozen.keras'))['config.json'])));
    model.dispose();
  });

  it("constrained.keras: MaxNorm, NonNeg, UnitNorm and MinMaxNorm read, Keras' figures, Keras' next SGD step with each projection, and written back as Keras wrote them", async () => {
    const model = await loadModel(`${DIR}constrained.keras`);
    expect(model.layers.flatMap((l) => l.weightSlots.map((w) => w.constraint?.kind))).toEqual(['maxNorm', 'nonNeg', 'unitNorm', undefined, 'minMaxNorm', 'maxNorm']);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's SGD with momentum
    await expectKerasFigures(model, expected['constrained.keras']);
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.predict(test.images.subarray(0, 16 * 784));
    expectClose(after, expected['constrained.keras'].resume.probabilities.flat(), { atol: 1e-4 }, 'probabilities after a resumed, projected SGD step');
    // The projections hold: each conv filter's norm at most 1.5, the conv bias ≥ 0, the hidden Dense's columns of norm 1.
    const [convKernel, convBias, hidden] = await model.getWeights();
    const columnNorms = (w: Float32Array, cols: number) => Array.from({ length: cols }, (_, j) => Math.hypot(...Array.from({ length: w.length / cols }, (_, i) => w[i * cols + j])));
    expect(Math.max(...columnNorms(convKernel, 6))).toBeLessThanOrEqual(1.5 + 1e-5);
    expect(Math.min(...convBias)).toBeGreaterThanOrEqual(0);
    for (const n of columnNorms(hidden, 24)) expect(n).toBeCloseTo(1, 5);
    const constraints = (json: string) =>
      JSON.parse(json)
        .config.layers.filter((l: { config: Record<string, unknown> }) => 'kernel_constraint' in l.config)
        .map((l: { config: Record<string, unknown> }) => [l.config.kernel_constraint, l.config.bias_constraint]);
    expect(constraints(toKerasJson(model))).toEqual(constraints(new TextDecoder().decode(unzipSync(bytes('constrained.keras'))['config.json'])));
    model.dispose();
  });

  it("activity.keras: activity regularizers on a conv, a ReLU and a tanh Dense give Keras' loss with their penalties and Keras' next SGD step, and are written back as Keras wrote them", async () => {
    const model = await loadModel(`${DIR}activity.keras`);
    expect(model.layers.map((l) => l.activityRegularizer)).toEqual([{ l1: 9.999999747378752e-5, l2: 0 }, undefined, undefined, { l1: 0, l2: 0.001 }, { l1: 0.001, l2: 0.01 }, undefined]);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's SGD
    await expectKerasFigures(model, expected['activity.keras']);
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.predict(test.images.subarray(0, 16 * 784));
    expectClose(after, expected['activity.keras'].resume.probabilities.flat(), { atol: 1e-4 }, 'probabilities after a resumed SGD step');
    const activity = (json: string) =>
      JSON.parse(json)
        .config.layers.map((l: { config: { activity_regularizer?: { class_name: string; config: unknown } | null } }) => l.config.activity_regularizer)
        .filter(Boolean)
        .map((r: { class_name: string; config: unknown }) => [r.class_name, r.config]);
    expect(activity(toKerasJson(model))).toEqual(activity(new TextDecoder().decode(unzipSync(bytes('activity.keras'))['config.json'])));
    model.dispose();
  });

  it("regularized.keras: Keras' loss with the penalties, a further SGD step as Keras took it, and the regularizers written back as Keras wrote them", async () => {
    const model = await loadModel(`${DIR}regularized.keras`);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's SGD
    await expectKerasFigures(model, expected['regularized.keras']);
    // One more step on the first 32 training images: its gradient has the penalties' terms.
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.predict(test.images.subarray(0, 16 * 784));
    expectClose(after, expected['regularized.keras'].resume.probabilities.flat(), { atol: 1e-4 }, 'probabilities after an SGD step');
    const regularizers = (json: string) => JSON.parse(json).config.layers.map((l: { config: Record<string, unknown> }) => [l.config.kernel_regularizer ?? null, l.config.bias_regularizer ?? null]);
    const original = new TextDecoder().decode(unzipSync(bytes('regularized.keras'))['config.json']);
    expect(regularizers(toKerasJson(model))).toEqual(regularizers(original));
    model.dispose();
  });

  // Each file holds its optimizer's state after training, and `resume` the probabilities after
  // one more step Keras took from it: only the restored state and step count reproduce them.
  it.each<[string, string, { kind: string; learningRate?: number; amsgrad?: boolean; weightDecay?: number; clipNorm?: number; clipValue?: number; globalClipNorm?: number; schedule?: object; useEma?: boolean; emaMomentum?: number; emaOverwriteFrequency?: number }]>([
    ['adamw.keras', 'AdamW: its weight decay and state', { kind: 'adamw', weightDecay: 0.4, learningRate: Math.fround(0.005) }],
    ['adamax.keras', 'Adamax: its momentum and infinity norm', { kind: 'adamax', learningRate: Math.fround(0.01) }],
    ['nadam.keras', 'Nadam: its state, its u_product derived from the step count', { kind: 'nadam', learningRate: Math.fround(0.005) }],
    ['clipnorm.keras', "SGD's momentum, each weight's gradient clipped to norm 0.05", { kind: 'sgd', learningRate: 0.5, clipNorm: 0.05 }],
    ['clipvalue.keras', "SGD's momentum, every gradient value clipped to ±0.002", { kind: 'sgd', learningRate: 0.5, clipValue: 0.002 }],
    ['global-clipnorm.keras', "SGD's momentum, all gradients clipped to a global norm of 0.05", { kind: 'sgd', learningRate: 0.5, globalClipNorm: 0.05 }],
    ['amsgrad.keras', "Adam's AMSGrad: its velocity_hat after the momenta and velocities", { kind: 'adam', amsgrad: true, learningRate: Math.fround(0.005) }],
    ['lion.keras', 'Lion: its momentum', { kind: 'lion', learningRate: Math.fround(0.0005) }],
    ['ema.keras', "Adam with the weights' moving average, the step setting the weights to it (every 5th)", { kind: 'adam', learningRate: Math.fround(0.002), useEma: true, emaMomentum: 0.9, emaOverwriteFrequency: 5 }],
    ['schedule.keras', "SGD's momentum under an ExponentialDecay learning rate (no learning_rate variable)", { kind: 'sgd', schedule: { kind: 'exponentialDecay', initialLearningRate: 0.05, decaySteps: 20, decayRate: 0.5, staircase: false } }],
    ['dilated.keras', 'Adam, through dilated convolutions', { kind: 'adam', learningRate: Math.fround(0.002) }],
    ['prelu.keras', "Adam, PReLU's alphas learned with the rest", { kind: 'adam', learningRate: Math.fround(0.002) }],
    ['depthwise.keras', 'Adam, through a depthwise convolution', { kind: 'adam', learningRate: Math.fround(0.002) }],
    ['separable.keras', 'Adam, through separable convolutions', { kind: 'adam', learningRate: Math.fround(0.002) }],
    ['layernorm.keras', 'Adam, through layer normalizations (one with a gamma penalty, one without beta)', { kind: 'adam', learningRate: Math.fround(0.002) }],
    ['depthwise-regularized.keras', 'Adam, with penalties and constraints on depthwise, pointwise and PReLU weights', { kind: 'adam', learningRate: Math.fround(0.002) }],
  ])("%s: the file's optimizer restored (%s), Keras' figures, and a further step as Keras took it", async (file, _what, config) => {
    const model = await loadModel(DIR + file);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's optimizer
    expect(model.trainingState().optimizer.config).toMatchObject(config);
    expect(model.trainingState().optimizerSteps).toBe(expected[file].resume.iterations - 1);
    await expectKerasFigures(model, expected[file]);
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.predict(test.images.subarray(0, 16 * 784));
    expectClose(after, expected[file].resume.probabilities.flat(), { atol: 1e-4 }, `probabilities after a resumed ${config.kind} step`);
    model.dispose();
  });

  it("alpha-dropout.keras: a self-normalizing network (SELU, LeCun normal, AlphaDropout) gives Keras' figures and is written back as Keras wrote it", async () => {
    const model = await loadModel(`${DIR}alpha-dropout.keras`);
    expect(model.layers.map((l) => l.className)).toEqual(['Flatten', 'Dense', 'AlphaDropout', 'Dense']);
    await model.compile({ device, metrics: ['accuracy'] });
    await expectKerasFigures(model, expected['alpha-dropout.keras']);
    // Its own arguments (Keras' dtype policy carries a shared_object_id of its run).
    const dropout = (json: string) => {
      const { rate, seed, noise_shape } = JSON.parse(json).config.layers.find((l: { class_name: string }) => l.class_name === 'AlphaDropout').config;
      return { rate, seed, noise_shape };
    };
    expect(dropout(toKerasJson(model))).toEqual(dropout(new TextDecoder().decode(unzipSync(bytes('alpha-dropout.keras'))['config.json'])));
    model.dispose();
  });

  it('prelu.keras: the alphas (one per channel, one per unit) are read, and the layers written back as Keras wrote them', async () => {
    const model = await loadModel(`${DIR}prelu.keras`);
    const prelus = model.layers.filter((l) => l.className === 'PReLU');
    expect(prelus.map((l) => l.weightSlots.map((w) => [w.name, w.shape]))).toEqual([[['p_re_lu/alpha', [1, 1, 6]]], [['p_re_lu_1/alpha', [32]]]]);
    const configs = (json: string) =>
      JSON.parse(json)
        .config.layers.filter((l: { class_name: string }) => l.class_name === 'PReLU')
        .map((l: { config: { shared_axes: unknown; alpha_initializer: unknown } }) => [l.config.shared_axes, l.config.alpha_initializer]);
    expect(configs(toKerasJson(model))).toEqual(configs(new TextDecoder().decode(unzipSync(bytes('prelu.keras'))['config.json'])));
    model.dispose();
  });

  it('dilated.keras: the dilation rates are read and written back as Keras wrote them', async () => {
    const model = await loadModel(`${DIR}dilated.keras`);
    expect(model.layers.filter((l) => l.className === 'Conv2D').map((l) => (l as unknown as { dilationRate: number[] }).dilationRate)).toEqual([[2, 2], [2, 1]]);
    const dilations = (json: string) =>
      JSON.parse(json)
        .config.layers.filter((l: { class_name: string }) => l.class_name === 'Conv2D')
        .map((l: { config: { dilation_rate: number[]; padding: string } }) => [l.config.dilation_rate, l.config.padding]);
    expect(dilations(toKerasJson(model))).toEqual(dilations(new TextDecoder().decode(unzipSync(bytes('dilated.keras'))['config.json'])));
    expect(model.summary()).toMatch(/conv2d_1 \(Conv2D\) +\(None, 12, 12, 8\)/);
  });

  it.each(['functional.keras', 'functional.h5'])("%s: a functional model of one chain is read as that Sequential model, with Keras' figures", async (file) => {
    const model = await loadModel(DIR + file);
    expect(model.name).toBe('functional_chain');
    expect(model.layers.map((l) => l.className)).toEqual(['Conv2D', 'MaxPooling2D', 'Flatten', 'Dropout', 'Dense']);
    await model.compile({ device, metrics: ['accuracy'] });
    await expectKerasFigures(model, expected[file]);
    model.dispose();
  });

  it('a functional model that is not one chain is refused, naming where the chain breaks', () => {
    const config = JSON.parse(new TextDecoder().decode(unzipSync(bytes('functional.keras'))['config.json']));
    const refused = (change: (layers: { name: string; inbound_nodes: { args: { config: { keras_history: unknown[] } }[]; kwargs: object }[] }[]) => void) => {
      const copy = structuredClone(config);
      change(copy.config.layers);
      return () => fromKerasJson(copy);
    };
    const chain = 'Keras model JSON: a Functional model is read only when its layers form one chain (a Sequential model): ';
    expect(refused((l) => (l[5].inbound_nodes[0].args[0].config.keras_history = ['max_pooling2d', 0, 0]))).toThrow(`${chain}layer 'dense' takes 'max_pooling2d', not the layer before it, 'dropout'`);
    expect(refused((l) => l[1].inbound_nodes.push(l[1].inbound_nodes[0]))).toThrow(`${chain}layer 'conv2d' is called 2 times, not once`);
    expect(refused((l) => (l[4].inbound_nodes[0].kwargs = { training: true }))).toThrow(`${chain}layer 'dropout' is called with arguments {"training":true}`);
    expect(refused((l) => l[2].inbound_nodes[0].args.push(l[2].inbound_nodes[0].args[0]))).toThrow(`${chain}layer 'max_pooling2d' takes 'conv2d', 'conv2d', not the layer before it, 'conv2d'`);
  });

  it("smoothing.keras: Keras' label smoothing read, evaluated and trained as Keras does, and written back", async () => {
    const model = await loadModel(`${DIR}smoothing.keras`);
    expect(model.initialState?.loss).toEqual({ name: 'categoricalCrossentropy', fromLogits: false, labelSmoothing: 0.2 });
    await model.compile({ device, metrics: ['accuracy'] }); // the file's SGD and loss
    await expectKerasFigures(model, expected['smoothing.keras']); // Keras measured on one-hot labels; these are integers
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.predict(test.images.subarray(0, 16 * 784));
    expectClose(after, expected['smoothing.keras'].resume.probabilities.flat(), { atol: 1e-4 }, 'probabilities after an SGD step on smoothed targets');
    const original = JSON.parse(new TextDecoder().decode(unzipSync(bytes('smoothing.keras'))['config.json']));
    const written = JSON.parse(new TextDecoder().decode(unzipSync(await encodeKerasModel(model))['config.json']));
    expect(written.compile_config.loss).toEqual(original.compile_config.loss);
    model.dispose();
  });

  it("lenet.keras: LeNet-5 on MNIST zero-padded to 32×32, with spatial dropout and a cropping: Keras' figures, and the layers written back as Keras wrote them", async () => {
    const model = await loadModel(`${DIR}lenet.keras`);
    expect(model.layers.map((l) => l.className)).toEqual(['ZeroPadding2D', 'Conv2D', 'AveragePooling2D', 'SpatialDropout2D', 'Conv2D', 'AveragePooling2D', 'Cropping2D', 'Flatten', 'Dense', 'Dense']);
    await model.compile({ device, metrics: ['accuracy'] });
    await expectKerasFigures(model, expected['lenet.keras']); // spatial dropout is off at inference
    // Training runs every layer's backward, the spatial dropout mask included.
    const { loss } = await model.trainOnBatch(train.images, train.labels);
    expect(loss).toBeGreaterThan(0);
    expect(Number.isFinite(loss)).toBe(true);
    const edges = (json: string) => JSON.parse(json).config.layers.filter((l: { class_name: string }) => ['ZeroPadding2D', 'Cropping2D'].includes(l.class_name)).map((l: { config: { padding?: unknown; cropping?: unknown } }) => l.config.padding ?? l.config.cropping);
    expect(edges(toKerasJson(model))).toEqual([[[2, 2], [2, 2]], [[1, 0], [0, 1]]]);
    expect(edges(toKerasJson(model))).toEqual(edges(new TextDecoder().decode(unzipSync(bytes('lenet.keras'))['config.json'])));
    model.dispose();
  });

  it("augmentation.keras: RandomFlip, RandomRotation, RandomZoom and RandomTranslation read with their fill and interpolation, Keras' figures (identity at inference), training runs, and the layers written back as Keras wrote them", async () => {
    const model = await loadModel(`${DIR}augmentation.keras`);
    expect(model.layers.map((l) => l.className).slice(0, 4)).toEqual(['RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomTranslation']);
    expect((model.layers[0] as unknown as { mode: string }).mode).toBe('horizontal');
    const [rotation, zoom, translation] = model.layers.slice(1) as unknown as { fillMode: string; interpolation: string }[];
    expect([rotation, zoom, translation].map((l) => [l.fillMode, l.interpolation])).toEqual([
      ['constant', 'bilinear'],
      ['reflect', 'nearest'],
      ['nearest', 'bilinear'],
    ]);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's Adam
    await expectKerasFigures(model, expected['augmentation.keras']);
    const { loss } = await model.trainOnBatch(train.images, train.labels);
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    expect(augmentationConfigs(toKerasJson(model))).toEqual(augmentationConfigs(new TextDecoder().decode(unzipSync(bytes('augmentation.keras'))['config.json'])));
    model.dispose();
  });

  it("color-augmentation.keras: RandomContrast and RandomBrightness read with their value ranges, Keras' figures (identity at inference), training runs, and the layers written back as Keras wrote them", async () => {
    const model = await loadModel(`${DIR}color-augmentation.keras`);
    expect(model.layers.map((l) => l.className).slice(0, 2)).toEqual(['RandomContrast', 'RandomBrightness']);
    // Keras sorts RandomBrightness' range (given as (1, 0)), not RandomContrast's.
    expect(model.layers.slice(0, 2).map((l) => (l as unknown as { valueRange: number[] }).valueRange)).toEqual([
      [0, 1],
      [0, 1],
    ]);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's Adam
    await expectKerasFigures(model, expected['color-augmentation.keras']);
    const { loss } = await model.trainOnBatch(train.images, train.labels);
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    expect(augmentationConfigs(toKerasJson(model))).toEqual(augmentationConfigs(new TextDecoder().decode(unzipSync(bytes('color-augmentation.keras'))['config.json'])));
    model.dispose();
  });

  it("initializers.keras: LeCun, VarianceScaling, RandomNormal, RandomUniform, TruncatedNormal and Constant read, Keras' figures, and written back as Keras wrote them", async () => {
    const model = await loadModel(`${DIR}initializers.keras`);
    const [conv1, , conv2, , dense1, dense2] = model.layers as unknown as { kernelInitializer: unknown; biasInitializer: unknown }[];
    expect([conv1.kernelInitializer, conv1.biasInitializer]).toEqual(['lecunNormal', { kind: 'constant', value: 0.1 }]);
    expect([conv2.kernelInitializer, conv2.biasInitializer]).toEqual([
      { kind: 'varianceScaling', scale: 0.5, mode: 'fanOut', distribution: 'untruncatedNormal' },
      { kind: 'randomUniform', minval: -0.01, maxval: 0.02 },
    ]);
    expect([dense1.kernelInitializer, dense1.biasInitializer]).toEqual([{ kind: 'randomNormal', mean: 0, stddev: 0.02 }, 'zeros']);
    expect([dense2.kernelInitializer, dense2.biasInitializer]).toEqual([{ kind: 'truncatedNormal', mean: 0, stddev: 0.05 }, 'lecunUniform']);
    await model.compile({ device, metrics: ['accuracy'] });
    await expectKerasFigures(model, expected['initializers.keras']);
    // Keras 3.15 adds input_axes and output_axes, null, which the engine does not write.
    const initializers = (json: string) =>
      JSON.parse(json)
        .config.layers.filter((l: { config: Record<string, unknown> }) => 'kernel_initializer' in l.config)
        .map((l: { config: Record<string, { config: Record<string, unknown> }> }) =>
          ['kernel_initializer', 'bias_initializer'].map((key) => {
            const { config, ...rest } = l.config[key];
            return { ...rest, config: Object.fromEntries(Object.entries(config).filter(([, v]) => v !== null)) };
          }),
        );
    expect(initializers(toKerasJson(model))).toEqual(initializers(new TextDecoder().decode(unzipSync(bytes('initializers.keras'))['config.json'])));
    model.dispose();
  });

  it("orthogonal.keras: Orthogonal and Identity read, Keras' figures, written back as Keras wrote them; a fresh model of its architecture draws orthonormal kernels", async () => {
    const model = await loadModel(`${DIR}orthogonal.keras`);
    const [conv, , , dense1, dense2] = model.layers as unknown as { kernelInitializer: unknown }[];
    expect([conv, dense1, dense2].map((l) => l.kernelInitializer)).toEqual([
      { kind: 'orthogonal', gain: 1.2 },
      { kind: 'orthogonal', gain: 1 },
      { kind: 'identity', gain: 1 },
    ]);
    await model.compile({ device, metrics: ['accuracy'] });
    await expectKerasFigures(model, expected['orthogonal.keras']);
    const kernelInitializers = (json: string) =>
      JSON.parse(json)
        .config.layers.filter((l: { config: Record<string, unknown> }) => 'kernel_initializer' in l.config)
        .map((l: { config: { kernel_initializer: unknown } }) => l.config.kernel_initializer);
    const json = toKerasJson(model);
    expect(kernelInitializers(json)).toEqual(kernelInitializers(new TextDecoder().decode(unzipSync(bytes('orthogonal.keras'))['config.json'])));
    model.dispose();

    // The same architecture untrained: its conv kernel (3·3·1, 8) has orthogonal columns of norm 1.2.
    const fresh = fromKerasJson(json);
    await fresh.compile({ device, optimizer: 'adam', seed: 4 });
    const kernel = (await fresh.getWeights())[0];
    for (let a = 0; a < 8; a++) {
      for (let b = 0; b < 8; b++) {
        let dot = 0;
        for (let i = 0; i < 9; i++) dot += kernel[i * 8 + a] * kernel[i * 8 + b];
        expect(Math.abs(dot - (a === b ? 1.44 : 0))).toBeLessThan(1e-5);
      }
    }
    fresh.dispose();
  });

  it("frozen-batchnorm.keras: frozen BatchNormalization layers (trainable: false) give Keras' figures, and Keras' next Adam step runs through their moving statistics and leaves them bit for bit", async () => {
    const model = await loadModel(`${DIR}frozen-batchnorm.keras`);
    const norms = model.layers.filter((l) => l.className === 'BatchNormalization');
    expect(norms.map((l) => l.trainable)).toEqual([false, false]);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's Adam, for the convolutions and the Dense layer
    expect(model.trainingState().optimizerSteps).toBe(expected['frozen-batchnorm.keras'].resume.iterations - 1);
    await expectKerasFigures(model, expected['frozen-batchnorm.keras']);
    const names = model.layers.flatMap((l) => l.weightSlots.map((w) => w.name));
    const before = await model.getWeights();
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.getWeights();
    names.forEach((name, i) => {
      const moved = after[i].some((v, j) => v !== before[i][j]);
      expect(moved, name).toBe(!name.startsWith('batch_normalization'));
    });
    expectClose(await model.predict(test.images.subarray(0, 16 * 784)), expected['frozen-batchnorm.keras'].resume.probabilities.flat(), { atol: 1e-4 }, 'probabilities after a resumed Adam step');
    const trainable = (json: string) => JSON.parse(json).config.layers.slice(1).map((l: { config: { trainable: boolean } }) => l.config.trainable);
    expect(trainable(toKerasJson(model))).toEqual(trainable(new TextDecoder().decode(unzipSync(bytes('frozen-batchnorm.keras'))['config.json'])));
    model.dispose();
  });

  it("batchnorm-affine.keras: BatchNormalization without gamma, without beta and without either holds Keras' weights, gives Keras' figures, resumes Adam to Keras' next step, and is written back", async () => {
    const model = await loadModel(`${DIR}batchnorm-affine.keras`);
    const norms = model.layers.filter((l) => l.className === 'BatchNormalization');
    expect(norms.map((l) => l.weightSlots.map((w) => w.name.split('/')[1]))).toEqual([
      ['beta', 'moving_mean', 'moving_variance'],
      ['gamma', 'moving_mean', 'moving_variance'],
      ['moving_mean', 'moving_variance'],
    ]);
    await model.compile({ device, metrics: ['accuracy'] }); // the file's Adam
    await expectKerasFigures(model, expected['batchnorm-affine.keras']);
    // The resumed step goes back through all three, and updates only the gamma and beta present.
    await model.trainOnBatch(train.images, train.labels);
    const after = await model.predict(test.images.subarray(0, 16 * 784));
    expectClose(after, expected['batchnorm-affine.keras'].resume.probabilities.flat(), { atol: 1e-4 }, 'probabilities after a resumed Adam step');
    const affine = (json: string) =>
      JSON.parse(json)
        .config.layers.filter((l: { class_name: string }) => l.class_name === 'BatchNormalization')
        .map((l: { config: { center: boolean; scale: boolean } }) => [l.config.center, l.config.scale]);
    expect(affine(toKerasJson(model))).toEqual([[true, false], [false, true], [false, false]]);
    expect(affine(toKerasJson(model))).toEqual(affine(new TextDecoder().decode(unzipSync(bytes('batchnorm-affine.keras'))['config.json'])));
    model.dispose();
  });

  it('float16 weights are converted to float32 exactly', async () => {
    const model = new Sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
    await model.compile({ device, optimizer: 'sgd' });
    await loadKerasWeights(model, bytes('tiny-float16.weights.h5'), 'tiny-float16.weights.h5');
    const [kernel, bias] = await model.getWeights();
    expect(Array.from(kernel)).toEqual(expected['tiny-float16.weights.h5'].kernel);
    expect(Array.from(bias)).toEqual(expected['tiny-float16.weights.h5'].bias);
    model.dispose();
  });
});
