/**
 * The compiled model against the float64 reference forward pass (src/reference/model.ts):
 * weights round trip, predictions, a whole-model gradient check by finite differences, the
 * last partial batch, and the preset models' parameter counts.
 */
import { describe, expect, it } from 'vitest';
import { Sequential, layers, optimizers, presets } from '../../src/index.js';
import { referenceLoss, referenceProbabilities } from '../../src/reference/model.js';
import { expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

/** A small model that uses every layer kind the reference knows. */
function tinyModel(withBatchNorm: boolean): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [7, 6, 2] }),
    layers.maxPooling2d({ poolSize: 2 }),
    ...(withBatchNorm ? [layers.batchNormalization()] : []),
    layers.conv2d({ filters: 4, kernelSize: 2, strides: 1, activation: 'tanh' }),
    layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
    layers.dropout({ rate: 0.3 }),
    layers.flatten(),
    layers.dense({ units: 5, activation: 'sigmoid' }),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/**
 * The same without dropout and batch norm, whose training behaviour the reference does not
 * model, and with a Reshape that regroups the pooled [3, 3, 3] values as [3, 9, 1] for the
 * next convolution (row-major NHWC order, as Keras' Reshape).
 */
function deterministicModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [7, 6, 2] }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.reshape({ targetShape: [3, -1, 1] }),
    layers.conv2d({ filters: 4, kernelSize: 2, activation: 'tanh' }),
    layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
    layers.flatten(),
    layers.dense({ units: 5, activation: 'sigmoid' }),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/**
 * Every way a ReLU's backward is fused into the next layer (src/graph/autodiff.ts): an
 * Activation('relu') into the next conv's col2im, a conv's ReLU into a pointwise conv's dX
 * matmul (its mask epilogue), that one's ReLU into the max pool after it, a Dense's ReLU into
 * the next Dense's dX matmul, and past a Dropout (rate 0 here, which the reference models) to
 * the last Dense's dX matmul. A mask left out or misplaced changes the gradients of every
 * layer before it: this test fails then (checked by breaking the epilogue's mask once).
 */
function fusedReluModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 2, padding: 'same', inputShape: [6, 5, 2] }),
    layers.activation({ activation: 'relu' }),
    layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu' }),
    layers.conv2d({ filters: 3, kernelSize: 1, activation: 'relu' }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 6, activation: 'relu' }),
    layers.dense({ units: 5, activation: 'relu' }),
    layers.dropout({ rate: 0 }),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/** Leaky ReLU (the activation and the layer), rescaling, and global pooling between a convolution and the classifier, as modern Keras CNNs end. */
function globalPoolingModel(pool: 'average' | 'max'): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 5, kernelSize: 3, activation: pool === 'average' ? 'tanh' : 'leaky_relu', inputShape: [7, 6, 2] }),
    layers.leakyReLU({ negativeSlope: 0.1 }),
    layers.rescaling({ scale: 1.5, offset: -0.25 }), // between weights: its backward carries the conv's gradient
    pool === 'average' ? layers.globalAveragePooling2d() : layers.globalMaxPooling2d(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/** The activations with exponentials, on convolutions, the Activation layer and Dense (swish by both its names), and GELU. */
function smoothActivationsModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'elu', inputShape: [6, 5, 2] }),
    layers.conv2d({ filters: 4, kernelSize: 2, activation: 'selu' }),
    layers.activation({ activation: 'softplus' }),
    layers.flatten(),
    layers.dense({ units: 6, activation: 'swish' }),
    layers.dense({ units: 5, activation: 'silu' }),
    layers.activation({ activation: 'gelu' }),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/**
 * Keras' kernel and bias regularizers (L2, L1, L1L2, by object and by name) on convolutions and
 * Dense layers, with factors large enough that a missing penalty gradient fails the check.
 */
function regularizedModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 5, 2], kernelRegularizer: { l2: 0.05 }, biasRegularizer: 'l1' }),
    layers.flatten(),
    layers.dense({ units: 5, activation: 'tanh', kernelRegularizer: { l1: 0.01, l2: 0.02 } }),
    layers.dense({ units: 4, activation: 'softmax', kernelRegularizer: 'l2', biasRegularizer: { l2: 0.1 } }),
  ]);
}

/** Dense on images, as Keras applies it: along the channels at every pixel (a 1×1 convolution), then again after a Flatten. */
function denseOnImagesModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 2, activation: 'relu', inputShape: [5, 4, 2] }),
    layers.dense({ units: 4, activation: 'relu' }),
    layers.dense({ units: 2, activation: 'tanh' }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/** Asymmetric zero padding after a layer and cropping after another, as LeNet-style models pad MNIST to 32×32. */
function paddingModel(): Sequential {
  return new Sequential([
    layers.zeroPadding2d({ padding: [[1, 2], [0, 1]], inputShape: [6, 5, 2] }),
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'tanh' }),
    layers.zeroPadding2d({ padding: 1 }),
    layers.conv2d({ filters: 4, kernelSize: 2, activation: 'relu' }),
    layers.cropping2D({ cropping: [[1, 0], [1, 2]] }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/**
 * Dilated convolutions (Keras' dilation_rate), 'same' and 'valid', square and not; the first
 * one's ReLU backward runs fused into the second's dilated col2im.
 */
function dilatedModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'relu', inputShape: [7, 6, 2] }),
    layers.conv2d({ filters: 4, kernelSize: [2, 3], dilationRate: [2, 1], activation: 'tanh' }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/** PReLU with one alpha per channel of an image (shared_axes [1, 2]) and one per value of a Dense output. */
function preluModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', inputShape: [6, 5, 2] }),
    layers.prelu({ sharedAxes: [1, 2], alphaInitializer: { kind: 'constant', value: 0.25 } }),
    layers.flatten(),
    layers.dense({ units: 5 }),
    layers.prelu({ alphaInitializer: { kind: 'randomUniform', minval: -0.5, maxval: 0.5 } }),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/** Depthwise convolutions: two filters per channel with 'same' padding and tanh, then one per channel, strided, without a bias. */
function depthwiseModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 2, padding: 'same', activation: 'relu', inputShape: [6, 5, 2] }),
    layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh' }),
    layers.depthwiseConv2d({ kernelSize: [2, 3], strides: [2, 1], useBias: false }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/** Separable convolutions: two depthwise filters per channel, 'same' and relu; then strided, one per channel, sigmoid, no bias. */
function separableModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 2, activation: 'relu', inputShape: [6, 5, 2] }),
    layers.separableConv2d({ filters: 4, kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'relu' }),
    layers.separableConv2d({ filters: 3, kernelSize: [2, 3], strides: [2, 1], activation: 'sigmoid', useBias: false }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/** Regularizers on the depthwise, pointwise and alpha weights and their biases (biases away from 0, where L1 has a kink). */
function depthwiseRegularizedModel(): Sequential {
  const bias = { kind: 'constant', value: 0.1 } as const;
  return new Sequential([
    layers.conv2d({ filters: 2, kernelSize: 2, activation: 'relu', inputShape: [6, 5, 2] }),
    layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh', biasInitializer: bias, depthwiseRegularizer: { l2: 0.05 }, biasRegularizer: { l1: 0.02 } }),
    layers.separableConv2d({ filters: 3, kernelSize: 2, biasInitializer: bias, depthwiseRegularizer: { l1: 0.03 }, pointwiseRegularizer: { l2: 0.04 }, biasRegularizer: { l1: 0.01, l2: 0.02 } }),
    layers.prelu({ sharedAxes: [1, 2], alphaInitializer: { kind: 'constant', value: 0.25 }, alphaRegularizer: { l2: 0.5 } }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

/** Layer normalization over an image's channels (gamma regularized) and over a Dense output (no gamma), weights away from 1 and 0 by the step. */
function layerNormModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 2, activation: 'relu', inputShape: [6, 5, 2] }),
    layers.layerNormalization({ gammaRegularizer: { l2: 0.3 }, epsilon: 0.01 }),
    layers.conv2d({ filters: 4, kernelSize: 2, activation: 'tanh' }),
    layers.flatten(),
    layers.dense({ units: 5 }),
    layers.layerNormalization({ scale: false, betaRegularizer: { l1: 0.02 } }),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}

function oneHot(labels: number[], classes: number): Float32Array {
  const out = new Float32Array(labels.length * classes);
  labels.forEach((l, i) => (out[i * classes + l] = 1));
  return out;
}

describe('Sequential vs the float64 reference', () => {
  it('summary counts the parameters of every preset as Keras does', () => {
    // Expected totals worked out by hand from Keras' formulas (conv: kh·kw·cin·cout + cout,
    // dense: in·out + out, batch norm: 4·channels of which 2·channels non-trainable).
    const expected: Record<string, [number, number]> = {
      'mnist-conv3': [303_926, 0],
      'mnist-cnn': [1_199_882, 0],
      'mnist-conv5': [1_111_946, 0],
      'mnist-bn': [408_522, 256],
    };
    for (const [name, [total, nonTrainable]] of Object.entries(expected)) {
      const summary = presets[name]().model.summary();
      expect(summary, name).toContain(`Total params: ${total.toLocaleString('en-US')}`);
      expect(summary, name).toContain(`Non-trainable params: ${nonTrainable.toLocaleString('en-US')}`);
    }
    const conv3 = presets['mnist-conv3']().model.summary();
    expect(conv3).toMatch(/max_pooling2d_2 \(MaxPooling2D\) +\(None, 3, 3, 64\) +0\n/);
    expect(conv3).toMatch(/flatten \(Flatten\) +\(None, 576\) +0\n/);
    expect(conv3).toMatch(/dense \(Dense\) +\(None, 500\) +288,500\n/);
  });

  it('getWeights/setWeights round trip, and predict equals the reference forward pass', async () => {
    const device = await testDevice();
    const model = tinyModel(true);
    await model.compile({ device, optimizer: 'sgd', loss: 'categoricalCrossentropy', seed: 3 });
    const initial = await model.getWeights();
    expect(initial.map((w) => w.length)).toEqual(model.layers.flatMap((l) => l.weightSlots.map((s) => s.elements)));
    // New random weights (moving variance positive), set and read back bit for bit.
    const weights = initial.map((w, i) => randomFloats(w.length, 100 + i, 0.1, 0.9).map((v) => (i % 2 ? v : v - 0.5)));
    model.setWeights(weights);
    const back = await model.getWeights();
    back.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(weights[i])));

    const batch = 5;
    const x = randomFloats(batch * 7 * 6 * 2, 9, 0, 1);
    const probabilities = await model.predict(x, { batchSize: 2 }); // batches of 2, 2 and 1
    const expected = referenceProbabilities(model, weights, x, batch);
    // f32 through two convolutions and two dense layers: a few ulp of the probabilities.
    expectClose(probabilities, expected, { atol: 2e-6, rtol: 1e-4 }, 'probabilities');
    model.dispose();
  });

  for (const [name, makeModel] of [['reshape, tanh, sigmoid, average pooling', deterministicModel], ['ReLU backwards fused into the next layer', fusedReluModel], ['rescaling, global average pooling', () => globalPoolingModel('average')], ['leaky relu, global max pooling', () => globalPoolingModel('max')], ['elu, selu, softplus, swish, gelu', smoothActivationsModel], ['kernel and bias regularizers', regularizedModel], ['Dense on images', denseOnImagesModel], ['zero padding, cropping', paddingModel], ['dilated convolutions', dilatedModel], ['PReLU, its alphas learned', preluModel], ['depthwise convolutions', depthwiseModel], ['separable convolutions', separableModel], ['regularizers on depthwise, pointwise and PReLU weights', depthwiseRegularizedModel], ['layer normalization', layerNormModel]] as const) {
  it(`one SGD step moves the weights by the gradient that finite differences give (${name})`, async () => {
    const device = await testDevice();
    const model = makeModel();
    // Plain SGD with learning rate 1: w_after = w_before − dLoss/dw exactly.
    await model.compile({ device, optimizer: optimizers.sgd({ learningRate: 1 }), seed: 5 });
    const batch = 3;
    const x = randomFloats(batch * model.inputShape!.reduce((a, b) => a * b), 21, 0, 1);
    const labels = [2, 0, 3];
    const before = await model.getWeights();
    await model.trainOnBatch(x, Uint8Array.from(labels));
    const after = await model.getWeights();
    const targets = oneHot(labels, 4);
    const w64 = before.map((w) => Float64Array.from(w));
    before.forEach((w, i) => {
      const gpuGradient = w.map((v, j) => v - after[i][j]);
      const numeric = numericGradient((wi) => {
        const all: ArrayLike<number>[] = w64.slice();
        all[i] = wi;
        return referenceLoss(model, all, x, targets, batch);
      }, w64[i]);
      // f32 forward/backward against float64 central differences (eps 1e-6).
      expectClose(gpuGradient, numeric, { atol: 2e-6, rtol: 2e-3 }, `gradient of ${model.layers.flatMap((l) => l.weightSlots)[i].name}`);
    });
    model.dispose();
  });
  }

  it('a frozen BatchNormalization trains in inference mode: its weights stay, and the gradient through its moving statistics reaches the layers before (finite differences)', async () => {
    const device = await testDevice();
    const model = new Sequential([
      layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [6, 5, 2] }),
      layers.batchNormalization({ trainable: false, epsilon: 0.01 }),
      layers.conv2d({ filters: 2, kernelSize: 2, activation: 'tanh' }),
      layers.batchNormalization({ trainable: false, center: false }),
      layers.flatten(),
      layers.dense({ units: 4, activation: 'softmax' }),
    ]);
    await model.compile({ device, optimizer: optimizers.sgd({ learningRate: 1 }), seed: 5 });
    // Statistics and an affine map far from the identity, so that each one shows in the gradient.
    const initial = await model.getWeights();
    const frozen = [2, 3, 4, 5, 8, 9, 10]; // gamma, beta, mean, variance; gamma, mean, variance
    const weights = initial.map((w, i) => (frozen.includes(i) ? randomFloats(w.length, 60 + i, 0.3, 2).map((v) => (i === 3 || i === 4 || i === 9 ? v - 1 : v)) : w));
    model.setWeights(weights);
    const batch = 3;
    const x = randomFloats(batch * 60, 22, 0, 1);
    const labels = [2, 0, 3];
    await model.trainOnBatch(x, Uint8Array.from(labels));
    const after = await model.getWeights();
    for (const i of frozen) expect(Array.from(after[i]), `frozen weight ${i}`).toEqual(Array.from(weights[i]));
    const w64 = weights.map((w) => Float64Array.from(w));
    for (const i of [0, 1, 6, 7, 11, 12]) {
      const gpuGradient = weights[i].map((v, j) => v - after[i][j]);
      const numeric = numericGradient((wi) => {
        const all: ArrayLike<number>[] = w64.slice();
        all[i] = wi;
        return referenceLoss(model, all, x, oneHot(labels, 4), batch);
      }, w64[i]);
      expectClose(gpuGradient, numeric, { atol: 2e-6, rtol: 2e-3 }, `gradient of ${model.layers.flatMap((l) => l.weightSlots)[i].name}`);
    }
    model.dispose();
  });

  it('Gaussian noise layers and AlphaDropout: the identity at inference, and noise that changes with every training step', async () => {
    const device = await testDevice();
    const model = new Sequential([
      layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 5, 2] }),
      layers.gaussianNoise({ stddev: 0.5 }),
      layers.flatten(),
      layers.gaussianDropout({ rate: 0.3 }),
      layers.dense({ units: 6, activation: 'selu' }),
      layers.alphaDropout({ rate: 0.2 }),
      layers.dense({ units: 4, activation: 'softmax' }),
    ]);
    await model.compile({ device, optimizer: optimizers.sgd({ learningRate: 0 }), seed: 2 });
    const x = randomFloats(3 * 60, 8, 0, 1);
    const labels = Uint8Array.of(0, 1, 2);
    const weights = await model.getWeights();
    expectClose(await model.predict(x), referenceProbabilities(model, weights, x, 3), { atol: 2e-6, rtol: 1e-4 }, 'probabilities at inference');
    const clean = referenceLoss(model, weights, x, oneHot([0, 1, 2], 4), 3);
    // Learning rate 0: the weights stay, so different losses come from different noise.
    const losses = [(await model.trainOnBatch(x, labels)).loss, (await model.trainOnBatch(x, labels)).loss];
    expect(losses[0]).not.toBeCloseTo(clean, 3);
    expect(losses[1]).not.toBeCloseTo(losses[0], 3);
    model.dispose();
  });

  it('an epoch counts every sample once, the last partial batch included', async () => {
    const device = await testDevice();
    const model = deterministicModel();
    // Learning rate 0 keeps the weights fixed, so the epoch's mean loss must be the reference
    // loss over all 10 samples: batches of 4, 4 and 2, none dropped or padded.
    await model.compile({ device, optimizer: optimizers.sgd({ learningRate: 0 }), seed: 7 });
    const samples = 10;
    const x = randomFloats(samples * 7 * 6 * 2, 31, 0, 1);
    const labels = Uint8Array.from({ length: samples }, (_, i) => i % 4);
    const history = await model.fit(x, labels, { batchSize: 4, epochs: 1, verbose: 0 });
    const expected = referenceLoss(model, await model.getWeights(), x, oneHot(Array.from(labels), 4), samples);
    expect(history.history.loss[0]).toBeCloseTo(expected, 5);
    const evaluated = await model.evaluate(x, labels, { batchSize: 4 });
    expect(evaluated.loss).toBeCloseTo(expected, 5);
    model.dispose();
  });

  it("with regularizers, fit's and evaluate's loss is Keras': the cross-entropy plus the weights' penalties", async () => {
    const device = await testDevice();
    const model = regularizedModel();
    await model.compile({ device, optimizer: optimizers.sgd({ learningRate: 0 }), seed: 7 });
    const samples = 10;
    const x = randomFloats(samples * 6 * 5 * 2, 32, 0, 1);
    const labels = Uint8Array.from({ length: samples }, (_, i) => i % 4);
    const weights = await model.getWeights();
    const expected = referenceLoss(model, weights, x, oneHot(Array.from(labels), 4), samples);
    const penalty = expected - referenceLoss(regularizedModelWithout(), weights, x, oneHot(Array.from(labels), 4), samples);
    expect(penalty).toBeGreaterThan(0.01); // the check below would miss a missing penalty otherwise
    const history = await model.fit(x, labels, { batchSize: 4, epochs: 1, verbose: 0 });
    expect(history.history.loss[0]).toBeCloseTo(expected, 5);
    expect((await model.evaluate(x, labels, { batchSize: 4 })).loss).toBeCloseTo(expected, 5);
    model.dispose();
  });
});

/** regularizedModel's layers without their regularizers: its loss is the cross-entropy alone. */
function regularizedModelWithout(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 5, 2] }),
    layers.flatten(),
    layers.dense({ units: 5, activation: 'tanh' }),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
}
