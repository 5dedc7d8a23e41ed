/**
 * Each layer owns its Keras form: for every class in the registry, fromConfig reads back what
 * config() writes, in each flavor Keras writes, and the float64 reference runs from Keras
 * configs alone (no engine layer class). No GPU: models are built, not compiled.
 */
import { describe, expect, it } from 'vitest';
import { Sequential, layers } from '../../src/index.js';
import { layerClasses } from '../../src/nn/layers/index.js';
import { ConfigReader, type KerasFlavor } from '../../src/nn/layers/keras-config.js';
import { referenceLogits } from '../../src/reference/model.js';

/** One layer of every registered class, with arguments other than the defaults. */
function everyLayer(): Sequential {
  const model = new Sequential([
    layers.conv2d({ filters: 3, kernelSize: [3, 2], strides: [1, 2], padding: 'same', useBias: false, activation: 'tanh', kernelInitializer: 'heUniform', kernelRegularizer: { l2: 0.01 }, inputShape: [8, 6, 2] }),
    layers.depthwiseConv2d({ kernelSize: 2, depthMultiplier: 2, padding: 'same', activation: 'elu', depthwiseInitializer: 'heNormal' }),
    layers.separableConv2d({ filters: 3, kernelSize: 2, depthMultiplier: 2, padding: 'same', useBias: false, activation: 'tanh', pointwiseInitializer: 'heUniform' }),
    layers.zeroPadding2d({ padding: [[1, 0], [2, 1]] }),
    layers.cropping2D({ cropping: [[1, 1], [0, 2]] }),
    layers.spatialDropout2d({ rate: 0.1 }),
    layers.gaussianNoise({ stddev: 0.2 }),
    layers.gaussianDropout({ rate: 0.3 }),
    layers.batchNormalization({ momentum: 0.8, epsilon: 1e-4, axis: 3 }),
    layers.maxPooling2d({ poolSize: [2, 1], strides: 1, padding: 'same' }),
    layers.averagePooling2d({ poolSize: 2 }),
    layers.globalAveragePooling2d({ keepdims: true }),
    layers.globalMaxPooling2d({ keepdims: true }),
    layers.activation({ activation: 'sigmoid' }),
    layers.leakyReLU({ negativeSlope: 0.15 }),
    layers.dropout({ rate: 0.25 }),
    layers.alphaDropout({ rate: 0.05 }),
    layers.randomFlip({ mode: 'vertical' }),
    layers.randomRotation({ factor: [-0.1, 0.2], fillMode: 'constant', fillValue: 0.5 }),
    layers.randomZoom({ heightFactor: 0.2, widthFactor: [-0.1, 0.3], interpolation: 'nearest' }),
    layers.randomTranslation({ heightFactor: [0.1, -0.2], widthFactor: 0.1, fillMode: 'wrap' }),
    layers.randomContrast({ factor: [0.1, 0.3], valueRange: [0, 1] }),
    layers.randomBrightness({ factor: -0.2, valueRange: [2, -1] }),
    layers.reshape({ targetShape: [-1, 3] }),
    layers.rescaling({ scale: 1 / 255, offset: -0.5 }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'relu', biasInitializer: 'ones', kernelInitializer: 'glorotNormal', biasRegularizer: { l1: 0.02, l2: 0.03 } }),
    layers.prelu({ alphaInitializer: { kind: 'constant', value: 0.2 }, sharedAxes: [1] }),
    layers.layerNormalization({ epsilon: 1e-4, center: false, gammaRegularizer: { l2: 0.01 } }),
  ]);
  model.build();
  return model;
}

describe('layer Keras configs', () => {
  it('covers every registered layer class, each under its Keras class name', () => {
    const classNames = everyLayer().layers.map((l) => l.className);
    expect([...classNames].sort()).toEqual(Object.keys(layerClasses).sort());
  });

  for (const flavor of ['keras3', 'keras2', 'tfjs'] as KerasFlavor[]) {
    it(`fromConfig reads back what config('${flavor}') writes, every key read`, () => {
      for (const layer of everyLayer().layers) {
        const reader = new ConfigReader(layer.className, layer.config(flavor));
        const back = layerClasses[layer.className].fromConfig(reader, { name: layer.name });
        reader.finish(); // throws on a key fromConfig left unread
        expect(back.className).toBe(layer.className);
        expect(back.config(), layer.className).toEqual(layer.config());
      }
    });
  }

  it('writes the layout differences of each flavor', () => {
    const [conv, , , , , , , , norm, , , , , , , dropout, alphaDropout, , , , , , , , , , dense] = everyLayer().layers;
    expect(conv.config('keras3').groups).toBe(1);
    expect('groups' in conv.config('tfjs')).toBe(false);
    expect(conv.config('keras3').kernel_initializer).toEqual({ module: 'keras.initializers', class_name: 'HeUniform', config: { seed: null }, registered_name: null });
    expect(conv.config('keras2').kernel_initializer).toEqual({ class_name: 'HeUniform', config: { seed: null } });
    expect(norm.config('keras2').axis).toEqual([3]);
    expect(norm.config('keras3')).toMatchObject({ axis: -1, synchronized: false });
    expect(Object.keys(dropout.config('keras3'))).toEqual(['rate', 'seed', 'noise_shape']);
    expect(Object.keys(dropout.config('keras2'))).toEqual(['rate', 'noise_shape', 'seed']);
    expect(Object.keys(alphaDropout.config('keras3'))).toEqual(['rate', 'seed', 'noise_shape']);
    expect('activity_regularizer' in dense.config('keras3')).toBe(false);
    expect(dense.config('keras2').activity_regularizer).toBeNull();
  });

  it('BatchNormalization accepts only the last axis', () => {
    const model = (axis: number) => new Sequential([layers.batchNormalization({ axis, inputShape: [4, 4, 2] }), layers.flatten(), layers.dense({ units: 2 })]);
    expect(() => model(3).build()).not.toThrow();
    expect(() => model(1).build()).toThrow(/BatchNormalization layer 'batch_normalization': axis 1 is not supported: only the last axis \(-1 or 3\) is/);
    expect(() => model(1.5)).toThrow(/BatchNormalization: axis must be an integer, got 1.5/);
  });
});

describe('layer arguments in TF.js form', () => {
  it('accepts the arguments TF.js takes at the one value the engine implements, and builds as without them', () => {
    const explicit = new Sequential([
      layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [6, 6, 1], dataFormat: 'channelsLast', dilationRate: [1, 1], kernelRegularizer: null, biasConstraint: null, trainable: true, dtype: 'float32' } as never),
      layers.maxPooling2d({ poolSize: 2, dataFormat: 'channelsLast' } as never),
      layers.dropout({ rate: 0.5, noiseShape: null } as never),
      layers.flatten({ dataFormat: 'channelsLast' } as never),
      layers.dense({ units: 3, activation: 'softmax', dilationRate: undefined, activityRegularizer: null } as never),
    ]);
    const plain = new Sequential([layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [6, 6, 1] }), layers.maxPooling2d({ poolSize: 2 }), layers.dropout({ rate: 0.5 }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })]);
    expect(explicit.summary()).toBe(plain.summary());
  });

  it('refuses them at any other value, naming the value the engine supports', () => {
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' } as never)).toThrow(/^Conv2D: dataFormat "channelsFirst" is not supported \(only 'channelsLast'\)$/);
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 })).toThrow(/^Conv2D: strides above 1 with a dilationRate above 1 are not supported, as in Keras \(got strides \[2,2\], dilationRate \[2,2\]\)$/);
    expect(() => layers.maxPooling2d({ dataFormat: 'channelsFirst' } as never)).toThrow(/^MaxPooling2D: dataFormat "channelsFirst" is not supported \(only 'channelsLast'\)$/);
    expect(() => layers.dense({ units: 3, trainable: 'no' } as never)).toThrow(/^Dense: trainable must be true or false, got "no"$/);
    expect(() => layers.dense({ units: 3, activation: 'softmax', activityRegularizer: 'l2' })).toThrow(/^Dense: an activityRegularizer on a softmax output is not supported$/);
    expect(() => layers.batchNormalization({ dtype: 'float16' } as never)).toThrow(/^BatchNormalization: dtype "float16" is not supported \(only 'float32'\)$/);
  });
});

describe('regularizer arguments', () => {
  it("take { l1, l2 } or Keras' names, and refuse anything else naming the layer and argument", () => {
    expect(layers.dense({ units: 3, kernelRegularizer: 'l2', biasRegularizer: { l1: 0.5 } })).toMatchObject({ kernelRegularizer: { l1: 0, l2: 0.01 }, biasRegularizer: { l1: 0.5, l2: 0 } });
    expect(layers.conv2d({ filters: 2, kernelSize: 3, kernelRegularizer: 'l1_l2' }).kernelRegularizer).toEqual({ l1: 0.01, l2: 0.01 });
    expect(() => layers.dense({ units: 3, kernelRegularizer: 'l3' as never })).toThrow("Dense: kernelRegularizer: unknown regularizer 'l3' (give l1, l2, l1_l2 or { l1, l2 })");
    expect(() => layers.dense({ units: 3, kernelRegularizer: { l2: -1 } })).toThrow('Dense: kernelRegularizer: l2 must be a finite number ≥ 0, got -1');
    expect(() => layers.conv2d({ filters: 2, kernelSize: 3, biasRegularizer: { l2: '0.1' } as never })).toThrow('Conv2D: biasRegularizer: l2 must be a finite number ≥ 0, got "0.1"');
    expect(() => layers.dense({ units: 3, kernelRegularizer: { weightDecay: 0.1 } as never })).toThrow('Dense: kernelRegularizer: unknown key weightDecay (a regularizer has l1 and l2)');
    expect(() => layers.dense({ units: 3, kernelRegularizer: 0.01 as never })).toThrow('Dense: kernelRegularizer: expected { l1, l2 } or a name (l1, l2, l1_l2), got 0.01');
  });
});

describe('zero padding and cropping arguments', () => {
  it("take Keras' three forms, and refuse anything else or a crop that leaves nothing", () => {
    expect(layers.zeroPadding2d().padding).toEqual([[1, 1], [1, 1]]);
    expect(layers.zeroPadding2d({ padding: [2, 3] }).padding).toEqual([[2, 2], [3, 3]]);
    expect(layers.cropping2D({ cropping: [[1, 0], [0, 2]] }).cropping).toEqual([[1, 0], [0, 2]]);
    expect(() => layers.zeroPadding2d({ padding: -1 })).toThrow('ZeroPadding2D: padding must be n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers, got -1');
    expect(() => layers.zeroPadding2d({ padding: [1, 2, 3] as never })).toThrow('got [1,2,3]');
    expect(() => layers.cropping2D({ cropping: 'same' as never })).toThrow('Cropping2D: cropping must be n, [rows, cols] or [[top, bottom], [left, right]]');
    expect(() => new Sequential([layers.cropping2D({ cropping: [[3, 3], [0, 0]], inputShape: [6, 6, 1] })]).summary()).toThrow("Cropping2D layer 'cropping2d': cropping [[3,3],[0,0]] leaves nothing of a 6×6 image");
    expect(() => new Sequential([layers.zeroPadding2d({ inputShape: [784] })]).summary()).toThrow("ZeroPadding2D layer 'zero_padding2d': expects images [height, width, channels], got [784]");
  });
});

describe('the float64 reference from Keras configs', () => {
  // Flatten then Dense(1, relu): y = relu(x0·1 + x1·(−2) + 0.5), worked by hand.
  const model = {
    inputShape: [1, 2],
    layers: [
      { className: 'Flatten', config: () => ({ data_format: 'channels_last' }) },
      { className: 'Dense', config: () => ({ units: 1, activation: 'relu', use_bias: true }) },
    ],
  };

  it('runs a model given only class names and configs', () => {
    const logits = referenceLogits(model, [[1, -2], [0.5]], [3, 1, 0, 1], 2);
    expect(Array.from(logits)).toEqual([1.5, 0]); // 3 − 2 + 0.5, and relu(−2 + 0.5)
  });

  it('refuses a class it has no reference for, and a weight list of the wrong length', () => {
    const lstm = { inputShape: [2], layers: [{ className: 'LSTM', config: () => ({ units: 1 }) }] };
    expect(() => referenceLogits(lstm, [], [0, 0], 1)).toThrow(/no reference for LSTM/);
    expect(() => referenceLogits(model, [[1, -2]], [3, 1], 1)).toThrow(/the model's layers take 2 weights, 1 given/);
  });
});
