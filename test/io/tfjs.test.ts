/**
 * Interchange with TF.js itself (its cpu backend): a model trained here and saved in the TF.js
 * format is read by tf.loadLayersModel from the files, and predicts the same probabilities;
 * a model built and saved by TF.js loads here and predicts the same.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, layers } from '../../src/index.js';
import { saveWeights } from '../../src/io/files.js';
import { encodeTfjs, loadTfjsWeights, parseTfjsModelJson, tfjsModel } from '../../src/io/tfjs.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

// Probabilities agree to 1e-5: both sides compute in float32, summing in different orders
// over at most 36 terms per output, far below that.
const TOLERANCE = { atol: 1e-5 };
const INPUT = [6, 6, 1];
const SAMPLES = 5;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

/** tf.loadLayersModel reading model.json and its shards from disk, as from a web server. */
function fileHandler(path: string): tf.io.IOHandler {
  return tf.io.http(pathToFileURL(path).href, {
    fetchFunc: async (url: RequestInfo | URL) => new Response(readFileSync(fileURLToPath(String(url)))),
  });
}

function tfjsPredict(model: tf.LayersModel, x: Float32Array): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor4d(x, [SAMPLES, ...INPUT] as [number, number, number, number])) as tf.Tensor).dataSync() as Float32Array);
}

/** A TF.js model's layers without the InputLayer a functional model (tf.model) lists first. */
function withoutInput(model: tf.LayersModel): tf.layers.Layer[] {
  return model.layers.filter((l) => l.getClassName() !== 'InputLayer');
}

/** Each layer's kernel and bias regularizers agree: the engine's { l1, l2 } and TF.js' L1L2 config (null where none). */
function expectSameRegularizers(model: Sequential, tfjs: tf.LayersModel | tf.Sequential): void {
  model.layers.forEach((layer, i) => {
    const config = withoutInput(tfjs)[i].getConfig() as Record<string, { config: object } | null | undefined>;
    for (const key of ['kernelRegularizer', 'biasRegularizer'] as const) {
      const ours = (layer as { [k in typeof key]?: { l1: number; l2: number } })[key];
      expect(config[key]?.config ?? undefined, `${layer.name} ${key}`).toEqual(ours ? { l1: ours.l1, l2: ours.l2 } : undefined);
    }
  });
}

describe('TF.js interchange', () => {
  const trainedHere: [string, () => Sequential][] = [
    [
      'conv, batch norm, pooling, dropout, dense',
      () =>
        new Sequential([
          layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: INPUT }),
          layers.batchNormalization(),
          layers.maxPooling2d({ poolSize: 2 }),
          layers.conv2d({ filters: 3, kernelSize: 2, activation: 'tanh' }),
          layers.flatten(),
          layers.dropout({ rate: 0.25 }),
          layers.dense({ units: 5, activation: 'sigmoid' }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'rescaling, reshape, global pooling',
      () =>
        new Sequential([
          layers.rescaling({ scale: 0.5, offset: 0.25, inputShape: INPUT }),
          layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
          layers.reshape({ targetShape: [8, 2, 4] }),
          layers.globalAveragePooling2d(),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'gaussian noise and gaussian dropout',
      () =>
        new Sequential([
          layers.gaussianNoise({ stddev: 0.1, inputShape: INPUT }),
          layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }),
          layers.flatten(),
          layers.gaussianDropout({ rate: 0.2 }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'zero padding and cropping',
      () =>
        new Sequential([
          layers.zeroPadding2d({ padding: 2, inputShape: INPUT }),
          layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }),
          layers.cropping2D({ cropping: [1, 2] }),
          layers.flatten(),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'constraints (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)',
      () =>
        new Sequential([
          layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: INPUT, kernelConstraint: { kind: 'maxNorm', maxValue: 1.5 }, biasConstraint: 'nonNeg' }),
          layers.flatten(),
          layers.dense({ units: 5, activation: 'relu', kernelConstraint: 'unitNorm' }),
          // Rate 1: TF.js projects weights again as it loads them, which only a rate of 1 leaves as they are.
          layers.dense({ units: 3, activation: 'softmax', kernelConstraint: { kind: 'minMaxNorm', minValue: 0.5, maxValue: 1, rate: 1 } }),
        ]),
    ],
    [
      'relu6, softsign, mish',
      () =>
        new Sequential([
          layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu6', inputShape: INPUT }),
          layers.flatten(),
          layers.dense({ units: 5, activation: 'softsign' }),
          layers.dense({ units: 4, activation: 'mish' }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'batch normalization without gamma, without beta, without either',
      () =>
        new Sequential([
          layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: INPUT }),
          layers.batchNormalization({ scale: false }),
          layers.conv2d({ filters: 4, kernelSize: 2 }),
          layers.batchNormalization({ center: false }),
          layers.flatten(),
          layers.batchNormalization({ center: false, scale: false }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'depthwise convolutions (TF.js names the kernel depthwise_kernel)',
      () =>
        new Sequential([
          layers.conv2d({ filters: 2, kernelSize: 2, activation: 'relu', inputShape: INPUT }),
          layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh' }),
          layers.depthwiseConv2d({ kernelSize: 2, strides: 2, useBias: false }),
          layers.flatten(),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'separable convolutions, with regularizers and constraints',
      () =>
        new Sequential([
          layers.conv2d({ filters: 2, kernelSize: 2, activation: 'relu', inputShape: INPUT }),
          layers.separableConv2d({ filters: 3, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu', depthwiseRegularizer: { l2: 0.01 }, pointwiseConstraint: 'nonNeg' }),
          layers.separableConv2d({ filters: 4, kernelSize: 2, strides: 2, useBias: false, pointwiseRegularizer: 'l1', depthwiseConstraint: { kind: 'maxNorm', maxValue: 3 } }),
          layers.flatten(),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'layer normalization, over channels and over units',
      () =>
        new Sequential([
          layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: INPUT }),
          layers.layerNormalization({ epsilon: 1e-4 }),
          layers.flatten(),
          layers.dense({ units: 5 }),
          layers.layerNormalization({ center: false, gammaRegularizer: { l2: 0.01 } }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'PReLU, one alpha per channel and one per unit',
      () =>
        new Sequential([
          layers.conv2d({ filters: 3, kernelSize: 3, inputShape: INPUT }),
          layers.prelu({ sharedAxes: [1, 2], alphaInitializer: { kind: 'constant', value: 0.2 } }),
          layers.flatten(),
          layers.dense({ units: 5 }),
          layers.prelu({ alphaInitializer: { kind: 'constant', value: -0.1 } }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'selu and AlphaDropout (the identity at inference)',
      () =>
        new Sequential([
          layers.flatten({ inputShape: INPUT }),
          layers.dense({ units: 6, activation: 'selu', kernelInitializer: 'lecunNormal' }),
          layers.alphaDropout({ rate: 0.2 }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'dilated convolutions',
      () =>
        new Sequential([
          layers.conv2d({ filters: 3, kernelSize: 2, dilationRate: 2, padding: 'same', activation: 'relu', inputShape: INPUT }),
          layers.conv2d({ filters: 4, kernelSize: [3, 2], dilationRate: [2, 1], activation: 'tanh' }),
          layers.flatten(),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
    [
      'elu, selu, softplus, swish, gelu, regularizers',
      () =>
        new Sequential([
          layers.conv2d({ filters: 3, kernelSize: 3, activation: 'elu', inputShape: INPUT, kernelRegularizer: 'l2', biasRegularizer: { l1: 0.001 } }),
          layers.conv2d({ filters: 4, kernelSize: 2, activation: 'selu', kernelRegularizer: { l1: 0.01, l2: 0.02 } }),
          layers.activation({ activation: 'softplus' }),
          layers.flatten(),
          layers.dense({ units: 5, activation: 'silu' }), // written for TF.js as 'swish'
          layers.dense({ units: 4, activation: 'gelu' }),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]),
    ],
  ];
  for (const [what, makeModel] of trainedHere) {
  it(`a model trained here loads in TF.js with tf.loadLayersModel and predicts the same (${what})`, async () => {
    const model = makeModel();
    await model.compile({ device: await testDevice(), optimizer: 'adam', seed: 3 });
    // A few steps on random data, so that every weight (batch norm statistics included) moved.
    const trainX = randomFloats(8 * 36, 11, 0, 1);
    const labels = Uint8Array.from({ length: 8 }, (_, i) => i % 3);
    for (let step = 0; step < 3; step++) await model.trainOnBatch(trainX, labels);

    const dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-tfjs-'));
    const path = join(dir, 'model.json');
    await saveWeights(model, path);
    const loaded = await tf.loadLayersModel(fileHandler(path));
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expectSameRegularizers(model, loaded);

    const x = randomFloats(SAMPLES * 36, 12, 0, 1);
    expectClose(tfjsPredict(loaded, x), await model.predict(x), TOLERANCE, 'TF.js vs webgpu-dl probabilities');
    loaded.dispose();
    model.dispose();
  });
  }

  it('a model with a layer TF.js lacks (SpatialDropout2D) is refused before any file is written, saying what to save instead', async () => {
    const model = new Sequential([layers.conv2d({ filters: 2, kernelSize: 3, inputShape: INPUT }), layers.spatialDropout2d({ rate: 0.2 }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })]);
    await model.compile({ device: await testDevice(), optimizer: 'sgd' });
    await expect(encodeTfjs(model)).rejects.toThrow("TF.js has no SpatialDropout2D layer ('spatial_dropout2d'): tf.loadLayersModel could not read this model; save it as .keras or .safetensors");
    model.dispose();
  });

  it("initializers beyond Glorot's and He's reach TF.js as its own classes, with their settings", async () => {
    const model = new Sequential([
      layers.conv2d({ filters: 3, kernelSize: 3, inputShape: INPUT, kernelInitializer: 'lecunNormal', biasInitializer: { kind: 'constant', value: 0.1 } }),
      layers.conv2d({ filters: 2, kernelSize: 2, kernelInitializer: { kind: 'varianceScaling', scale: 0.5, mode: 'fanOut', distribution: 'truncatedNormal' }, biasInitializer: { kind: 'randomUniform', minval: -0.1, maxval: 0.2 } }),
      layers.flatten(),
      layers.dense({ units: 3, activation: 'softmax', kernelInitializer: { kind: 'randomNormal', mean: 0.5, stddev: 0.02 }, biasInitializer: { kind: 'truncatedNormal', mean: 0, stddev: 0.3 } }),
    ]);
    await model.compile({ device: await testDevice(), optimizer: 'sgd' });
    const path = join(mkdtempSync(join(tmpdir(), 'webgpu-dl-tfjs-')), 'model.json');
    await saveWeights(model, path);
    const loaded = await tf.loadLayersModel(fileHandler(path));
    const initializers = withoutInput(loaded).map((l) => {
      const config = l.getConfig() as Record<string, { className: string; config: Record<string, unknown> } | undefined>;
      return [config.kernelInitializer, config.biasInitializer].filter((v) => v !== undefined).map((v) => [v!.className, v!.config]);
    });
    expect(initializers).toEqual([
      // TF.js reads its LeCunNormal class and reports it as the VarianceScaling it is.
      [['VarianceScaling', { scale: 1, mode: 'fanIn', distribution: 'normal', seed: null }], ['Constant', { value: 0.1 }]],
      [['VarianceScaling', { scale: 0.5, mode: 'fanOut', distribution: 'normal', seed: null }], ['RandomUniform', { minval: -0.1, maxval: 0.2, seed: null }]],
      [],
      [['RandomNormal', { mean: 0.5, stddev: 0.02, seed: null }], ['TruncatedNormal', { mean: 0, stddev: 0.3, seed: null }]],
    ]);
    loaded.dispose();
    model.dispose();
  });

  it('Orthogonal and Identity reach TF.js as its own classes, with their gains', async () => {
    const model = new Sequential([
      layers.conv2d({ filters: 3, kernelSize: 3, inputShape: INPUT, kernelInitializer: { kind: 'orthogonal', gain: 1.2 } }),
      layers.flatten(),
      layers.dense({ units: 3, activation: 'softmax', kernelInitializer: { kind: 'identity', gain: 0.5 } }),
    ]);
    await model.compile({ device: await testDevice(), optimizer: 'sgd' });
    const path = join(mkdtempSync(join(tmpdir(), 'webgpu-dl-tfjs-')), 'model.json');
    await saveWeights(model, path);
    const loaded = await tf.loadLayersModel(fileHandler(path));
    const kernelInitializers = withoutInput(loaded).map((l) => (l.getConfig() as { kernelInitializer?: { className: string; config: unknown } }).kernelInitializer);
    expect(kernelInitializers).toEqual([{ className: 'Orthogonal', config: { gain: 1.2, seed: null } }, undefined, { className: 'Identity', config: { gain: 0.5 } }]);
    loaded.dispose();
    model.dispose();
  });

  it("a VarianceScaling TF.js lacks (untruncated_normal) is refused before any file is written", async () => {
    const model = new Sequential([layers.flatten({ inputShape: INPUT }), layers.dense({ units: 3, activation: 'softmax', kernelInitializer: { kind: 'varianceScaling', scale: 1, mode: 'fanIn', distribution: 'untruncatedNormal' } })]);
    await model.compile({ device: await testDevice(), optimizer: 'sgd' });
    const dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-tfjs-'));
    await expect(saveWeights(model, join(dir, 'model.json'))).rejects.toThrow("TF.js has no VarianceScaling with distribution 'untruncated_normal': save this model as .keras or .safetensors");
    expect(readdirSync(dir)).toEqual([]);
    model.dispose();
  });

  it('a model with an activity regularizer (TF.js cannot call such a layer) is refused before any file is written', async () => {
    const model = new Sequential([layers.conv2d({ filters: 2, kernelSize: 3, inputShape: INPUT, activityRegularizer: 'l1' }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })]);
    await model.compile({ device: await testDevice(), optimizer: 'sgd' });
    await expect(encodeTfjs(model)).rejects.toThrow("TF.js cannot run a layer with an activity regularizer ('conv2d");
    model.dispose();
  });

  const builtByTfjs: [string, () => tf.LayersModel][] = [
    [
      'conv, batch norm, max pooling, flatten, dropout, dense',
      () => tf.sequential({ layers: [
        // TF.js' default initializers (glorotNormal kernel, zeros bias).
        tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: INPUT }),
        tf.layers.batchNormalization({ epsilon: 1e-3 }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dropout({ rate: 0.25 }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: 'heNormal' }),
      ] }),
    ],
    [
      "TF.js' constraints",
      () => tf.sequential({ layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: INPUT, kernelConstraint: tf.constraints.maxNorm({ maxValue: 2, axis: [0, 1, 2] as unknown as number }) /* TF.js types one axis; it takes a list */, biasConstraint: tf.constraints.nonNeg() }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 4, kernelConstraint: tf.constraints.unitNorm({ axis: 0 }) }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelConstraint: tf.constraints.minMaxNorm({ minValue: 0.2, maxValue: 1, rate: 0.5, axis: 0 }) }),
      ] }),
    ],
    [
      'relu6 (an activation, and a ReLU layer with a maximum of 6), softsign, mish',
      () => tf.sequential({ layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu6', inputShape: INPUT }),
        tf.layers.conv2d({ filters: 4, kernelSize: 2 }),
        tf.layers.reLU({ maxValue: 6 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 5, activation: 'softsign' }),
        tf.layers.dense({ units: 4, activation: 'mish' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'batch normalization without gamma, without beta, without either',
      () => tf.sequential({ layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: INPUT }),
        tf.layers.batchNormalization({ scale: false }),
        tf.layers.conv2d({ filters: 4, kernelSize: 2 }),
        tf.layers.batchNormalization({ center: false }),
        tf.layers.flatten(),
        tf.layers.batchNormalization({ center: false, scale: false }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'rescaling, reshape, global max pooling',
      () => tf.sequential({ layers: [
        tf.layers.rescaling({ scale: 2, offset: -0.5, inputShape: INPUT }),
        tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
        tf.layers.reshape({ targetShape: [2, 8, 4] }),
        tf.layers.globalMaxPooling2d({}),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'elu, selu, softplus, swish, gelu, regularizers',
      () => tf.sequential({ layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'elu', inputShape: INPUT, kernelRegularizer: tf.regularizers.l2({ l2: 0.01 }), biasRegularizer: tf.regularizers.l1({ l1: 0.001 }) }),
        tf.layers.conv2d({ filters: 4, kernelSize: 2, activation: 'selu' }),
        tf.layers.activation({ activation: 'softplus' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 5, activation: 'swish' }),
        tf.layers.dense({ units: 4, activation: 'gelu' }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'gaussian noise and gaussian dropout (the identity at inference)',
      () => tf.sequential({ layers: [
        tf.layers.gaussianNoise({ stddev: 0.3, inputShape: INPUT }),
        tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.gaussianDropout({ rate: 0.2 }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'depthwise convolution',
      () => tf.sequential({ layers: [
        // 4·4·2 = 32 values into the Dense: within the 36 terms TOLERANCE allows for.
        tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, activation: 'relu', inputShape: INPUT }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'separable convolution',
      () => tf.sequential({ layers: [
        // Depth multiplier 1: TF.js (4.22) leaves depth_multiplier out of the config it saves, so its
        // own loadLayersModel reads 1 back too (the other direction, above, writes and reads 2).
        tf.layers.separableConv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: INPUT }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'layer normalization',
      () => tf.sequential({ layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: INPUT }),
        tf.layers.layerNormalization({ epsilon: 1e-4 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'PReLU',
      () => tf.sequential({ layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, inputShape: INPUT }),
        tf.layers.prelu({ sharedAxes: [1, 2], alphaInitializer: tf.initializers.constant({ value: 0.3 }) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'AlphaDropout (the identity at inference)',
      () => tf.sequential({ layers: [
        tf.layers.flatten({ inputShape: INPUT }),
        tf.layers.dense({ units: 5, activation: 'selu' }),
        tf.layers.alphaDropout({ rate: 0.1 }),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'dilated convolutions',
      () => tf.sequential({ layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu', inputShape: INPUT }),
        tf.layers.conv2d({ filters: 2, kernelSize: [2, 3], dilationRate: [3, 1], activation: 'relu' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'zero padding and cropping',
      () => tf.sequential({ layers: [
        tf.layers.zeroPadding2d({ padding: [[1, 2], [0, 3]], inputShape: INPUT }),
        tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu' }),
        tf.layers.cropping2D({ cropping: [[1, 0], [2, 1]] }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'dense on images (along the channels at every pixel)',
      () => tf.sequential({ layers: [
        tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: INPUT }),
        tf.layers.dense({ units: 3, activation: 'tanh' }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ] }),
    ],
    [
      'global average pooling',
      () => tf.sequential({ layers: [tf.layers.conv2d({ filters: 5, kernelSize: 2, activation: 'tanh', inputShape: INPUT }), tf.layers.globalAveragePooling2d({}), tf.layers.dense({ units: 3, activation: 'softmax' })] }),
    ],
    [
      "TF.js' initializers (LeCun, VarianceScaling, random normal and uniform, truncated normal, constant)",
      () => tf.sequential({ layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: INPUT, kernelInitializer: tf.initializers.leCunNormal({}), biasInitializer: tf.initializers.constant({ value: 0.1 }) }),
        tf.layers.conv2d({ filters: 2, kernelSize: 2, kernelInitializer: tf.initializers.varianceScaling({ scale: 0.5, mode: 'fanAvg', distribution: 'uniform' }), biasInitializer: tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1 }) }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 4, kernelInitializer: tf.initializers.leCunUniform({}), biasInitializer: tf.initializers.randomNormal({ stddev: 0.1 }) }),
        tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.truncatedNormal({ stddev: 0.1 }) }),
      ] }),
    ],
    [
      'a functional chain (tf.model, class_name Model)',
      () => {
        const input = tf.input({ shape: INPUT });
        const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(input) as tf.SymbolicTensor;
        const pooled = tf.layers.maxPooling2d({ poolSize: 2 }).apply(conv) as tf.SymbolicTensor;
        const flat = tf.layers.flatten().apply(pooled) as tf.SymbolicTensor;
        return tf.model({ inputs: input, outputs: tf.layers.dense({ units: 3, activation: 'softmax' }).apply(flat) as tf.SymbolicTensor });
      },
    ],
  ];

  for (const [what, build] of builtByTfjs) {
  it(`a model built and saved by TF.js loads here and predicts the same (${what})`, async () => {
    const built = build();
    // Random values everywhere, batch norm statistics included (variances positive).
    built.setWeights(built.getWeights().map((w, i) => tf.tensor(randomFloats(w.size, 30 + i, 0.1, 1), w.shape)));
    let saved: tf.io.ModelArtifacts | undefined;
    await built.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    const weightData = saved!.weightData!;
    const parts = Array.isArray(weightData) ? weightData : [weightData];
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(new Uint8Array(p), at);
      at += p.byteLength;
    }
    // model.json as TF.js writes it to a server or disk, with its one weights file.
    const modelJson = parseTfjsModelJson(JSON.stringify({
      format: saved!.format,
      generatedBy: saved!.generatedBy,
      convertedBy: saved!.convertedBy,
      modelTopology: saved!.modelTopology,
      weightsManifest: [{ paths: ['weights.bin'], weights: saved!.weightSpecs }],
    }));

    const model = tfjsModel(modelJson);
    expect(model.layers.map((l) => l.name)).toEqual(withoutInput(built).map((l) => l.name));
    expectSameRegularizers(model, built);
    await model.compile({ device: await testDevice(), optimizer: 'sgd' });
    loadTfjsWeights(model, modelJson, new Map([['weights.bin', bytes]]));
    const x = randomFloats(SAMPLES * 36, 13, 0, 1);
    expectClose(await model.predict(x), tfjsPredict(built, x), TOLERANCE, 'webgpu-dl vs TF.js probabilities');
    built.dispose();
    model.dispose();
  });
  }
});
