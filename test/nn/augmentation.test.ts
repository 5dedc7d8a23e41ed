/**
 * RandomRotation, RandomZoom, RandomTranslation, RandomFlip, RandomContrast and RandomBrightness
 * in a model: at training time the step
 * trains on the images as the float64 reference transforms them (the draws of the step's
 * stepInfo); at inference they pass the images unchanged; after a layer with trainable
 * weights they are refused when training starts. The layers before the first trainable one
 * record no backward. Kernels: test/kernels/affine-transform.test.ts and color-adjust.test.ts;
 * Keras' own files: test/io/keras-file-fixtures.test.ts (augmentation.keras, color-augmentation.keras).
 */
import { describe, expect, it } from 'vitest';
import { Sequential, layers, optimizers } from '../../src/index.js';
import { hashName } from '../../src/nn/layers/dropout.js';
import { affineTransformRef, sampleTransformsRef } from '../../src/reference/affine-transform.js';
import type { TransformDraw } from '../../src/kernels/affine-transform.js';
import type { ColorAdjustment } from '../../src/kernels/color-adjust.js';
import { colorAdjustRef, colorFactorsRef } from '../../src/reference/color-adjust.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

const [batch, height, width, channels, classes] = [4, 6, 5, 2, 3];
const shape = { batch, height, width, channels };
const features = height * width * channels;
const x = randomFloats(batch * features, 11, 0, 1);
const labels = Uint8Array.of(0, 2, 1, 2);

/** softmax(x·W + b) per row, float64; W: (features, classes). */
function softmaxRows(input: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const p = new Float64Array(batch * classes);
  for (let n = 0; n < batch; n++) {
    const logits = Array.from({ length: classes }, (_, k) => {
      let sum = b[k];
      for (let f = 0; f < features; f++) sum += input[n * features + f] * w[f * classes + k];
      return sum;
    });
    const top = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - top));
    const total = e.reduce((a, v) => a + v, 0);
    e.forEach((v, k) => (p[n * classes + k] = v / total));
  }
  return p;
}

describe('random augmentation layers in a model', () => {
  it('a training step learns from the images as the reference rotates and shifts them; prediction sees them unchanged', async () => {
    const seed = 7;
    const lr = 0.5;
    const model = new Sequential([
      layers.randomRotation({ factor: 0.1, fillMode: 'constant', fillValue: 0.25, inputShape: [height, width, channels], name: 'spin' }),
      layers.randomTranslation({ heightFactor: 0.2, widthFactor: [-0.3, 0.1], fillMode: 'wrap', interpolation: 'nearest', name: 'shift' }),
      layers.flatten(),
      layers.dense({ units: classes, activation: 'softmax', name: 'out' }),
    ]);
    await model.compile({ device: await testDevice(), optimizer: optimizers.sgd({ learningRate: lr }), seed });
    const [w, b] = await model.getWeights();

    // Inference: the layers are the identity.
    expectClose(await model.predict(x), softmaxRows(x, w, b), { atol: 1e-6 }, 'predictions');

    // The first training step draws with stepInfo [1, seed].
    const rotation: TransformDraw = { kind: 'rotation', radians: [-0.2 * Math.PI, 0.2 * Math.PI] };
    const translation: TransformDraw = { kind: 'translation', height: [-0.2, 0.2], width: [-0.3, 0.1] };
    const rotated = affineTransformRef(x, shape, sampleTransformsRef(shape, rotation, hashName('spin'), 1, seed), { mode: 'constant', value: 0.25, interpolation: 'bilinear' });
    const seen = affineTransformRef(rotated, shape, sampleTransformsRef(shape, translation, hashName('shift'), 1, seed), { mode: 'wrap', value: 0, interpolation: 'nearest' });
    expect(seen.some((v, i) => Math.abs(v - x[i]) > 0.1), 'the draws moved the images').toBe(true);

    await model.trainOnBatch(x, labels);
    const [wAfter, bAfter] = await model.getWeights();
    // SGD on the cross-entropy's mean: W −= lr·seenᵀ(p − t)/batch, b −= lr·Σ(p − t)/batch.
    const p = softmaxRows(seen, w, b);
    const expectedW = Float64Array.from(w);
    const expectedB = Float64Array.from(b);
    for (let n = 0; n < batch; n++) {
      for (let k = 0; k < classes; k++) {
        const d = (p[n * classes + k] - (labels[n] === k ? 1 : 0)) / batch;
        expectedB[k] -= lr * d;
        for (let f = 0; f < features; f++) expectedW[f * classes + k] -= lr * seen[n * features + f] * d;
      }
    }
    // float32 sums of 60 products, the maps' float32 sin and cos (< 1e-6 apart) under them.
    expectClose(wAfter, expectedW, { atol: 2e-6 }, 'dense kernel after the step');
    expectClose(bAfter, expectedB, { atol: 2e-6 }, 'dense bias after the step');
    model.dispose();
  });

  it('draws again each step: two steps on one batch see different images', async () => {
    const model = new Sequential([
      layers.randomZoom({ heightFactor: 0.3, inputShape: [height, width, channels] }),
      layers.flatten(),
      layers.dense({ units: classes, activation: 'softmax' }),
    ]);
    await model.compile({ device: await testDevice(), optimizer: optimizers.sgd({ learningRate: 0.5 }), seed: 3 });
    const zoom: TransformDraw = { kind: 'zoom', height: [0.7, 1.3] };
    const [first, second] = [1, 2].map((step) => affineTransformRef(x, shape, sampleTransformsRef(shape, zoom, hashName('random_zoom'), step, 3), { mode: 'reflect', value: 0, interpolation: 'bilinear' }));
    expect(first.some((v, i) => Math.abs(v - second[i]) > 0.05)).toBe(true);
    const [w0, b0] = await model.getWeights();
    await model.trainOnBatch(x, labels);
    const [w1, b1] = await model.getWeights();
    // The second step's gradient is the one of the second draw, at the weights after the first.
    await model.trainOnBatch(x, labels);
    const [, b2] = await model.getWeights();
    const pFirst = softmaxRows(first, w0, b0);
    const pSecond = softmaxRows(second, w1, b1);
    const step = (p: Float64Array, before: ArrayLike<number>) =>
      Float64Array.from(before, (v, k) => v - (0.5 * Array.from({ length: batch }, (_, n) => p[n * classes + k] - (labels[n] === k ? 1 : 0)).reduce((a, d) => a + d, 0)) / batch);
    expectClose(b1, step(pFirst, b0), { atol: 2e-6 }, 'bias after step 1');
    expectClose(b2, step(pSecond, b1), { atol: 2e-6 }, 'bias after step 2');
    model.dispose();
  });

  it("RandomFlip: a training step learns from the images flipped where the reference's draws say (about half)", async () => {
    const model = new Sequential([layers.randomFlip({ mode: 'horizontal', inputShape: [height, width, channels] }), layers.flatten(), layers.dense({ units: classes, activation: 'softmax' })]);
    await model.compile({ device: await testDevice(), optimizer: optimizers.sgd({ learningRate: 0.5 }), seed: 5 });
    const maps = sampleTransformsRef(shape, { kind: 'flip', columns: true, rows: false }, hashName('random_flip'), 1, 5);
    const flipped = Array.from({ length: batch }, (_, n) => maps[8 * n] === -1);
    expect(flipped.some(Boolean) && !flipped.every(Boolean), `flips drawn: ${flipped}`).toBe(true);
    const seen = affineTransformRef(x, shape, maps, { mode: 'nearest', value: 0, interpolation: 'nearest' });
    const [w, b] = await model.getWeights();
    await model.trainOnBatch(x, labels);
    const [, bAfter] = await model.getWeights();
    const p = softmaxRows(seen, w, b);
    const expectedB = Float64Array.from(b, (v, k) => v - (0.5 * Array.from({ length: batch }, (_, n) => p[n * classes + k] - (labels[n] === k ? 1 : 0)).reduce((a, d) => a + d, 0)) / batch);
    expectClose(bAfter, expectedB, { atol: 2e-6 }, 'bias after the step');
    model.dispose();
  });

  it('RandomContrast then RandomBrightness: a training step learns from the images as the reference adjusts them; prediction sees them unchanged', async () => {
    const seed = 9;
    const model = new Sequential([
      layers.randomContrast({ factor: [0.4, 0.6], valueRange: [0, 1], inputShape: [height, width, channels], name: 'contrast' }),
      layers.randomBrightness({ factor: 0.3, valueRange: [0.9, 0.05], name: 'bright' }),
      layers.flatten(),
      layers.dense({ units: classes, activation: 'softmax', name: 'out' }),
    ]);
    await model.compile({ device: await testDevice(), optimizer: optimizers.sgd({ learningRate: 0.5 }), seed });
    const [w, b] = await model.getWeights();
    expectClose(await model.predict(x), softmaxRows(x, w, b), { atol: 1e-6 }, 'predictions');

    // The first training step draws with stepInfo [1, seed]: contrast in [1 − 0.4, 1 + 0.6],
    // brightness in ±0.3 of the sorted range's width 0.85, both clipped to their ranges.
    const contrast: ColorAdjustment = { kind: 'contrast', factor: [0.6, 1.6], range: [0, 1] };
    const brightness: ColorAdjustment = { kind: 'brightness', factor: [-0.3 * 0.85, 0.3 * 0.85], range: [0.05, 0.9] };
    const contrasted = colorAdjustRef(x, shape, contrast, colorFactorsRef(batch, contrast, hashName('contrast'), 1, seed));
    const seen = colorAdjustRef(contrasted, shape, brightness, colorFactorsRef(batch, brightness, hashName('bright'), 1, seed));
    expect(seen.some((v, i) => Math.abs(v - x[i]) > 0.05), 'the draws changed the images').toBe(true);

    await model.trainOnBatch(x, labels);
    const [, bAfter] = await model.getWeights();
    const p = softmaxRows(seen, w, b);
    const expectedB = Float64Array.from(b, (v, k) => v - (0.5 * Array.from({ length: batch }, (_, n) => p[n * classes + k] - (labels[n] === k ? 1 : 0)).reduce((a, d) => a + d, 0)) / batch);
    expectClose(bAfter, expectedB, { atol: 2e-6 }, 'bias after the step');
    expect(model.layers[1].config()).toEqual({ data_format: 'channels_last', factor: [-0.3, 0.3], value_range: [0.05, 0.9], seed: null });
    model.dispose();
  });

  it('after a layer with trainable weights: refused when training starts, with the layer named; inference still runs', async () => {
    const model = new Sequential([
      layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [height, width, channels], name: 'features' }),
      layers.randomRotation({ factor: 0.05, name: 'late_spin' }),
      layers.flatten(),
      layers.dense({ units: classes, activation: 'softmax' }),
    ]);
    await model.compile({ device: await testDevice(), optimizer: 'adam' });
    await expect(model.trainOnBatch(x, labels)).rejects.toThrow(/RandomRotation layer 'late_spin' comes after 'features', which has trainable weights.*before the first layer with trainable weights/);
    expect((await model.predict(x)).length).toBe(batch * classes);
    model.dispose();
  });

  it('refuses bad arguments by name', () => {
    expect(() => layers.randomRotation({ factor: 1.5 })).toThrow(/RandomRotation: factor must be a number or a pair of numbers in \[-1, 1\], got 1.5/);
    expect(() => layers.randomZoom({ heightFactor: [-1, 0.2] })).toThrow(/RandomZoom: heightFactor must be .* in \(-1, 1\]/);
    expect(() => layers.randomTranslation({ heightFactor: 0.1 } as never)).toThrow(/RandomTranslation: widthFactor must be/);
    expect(() => layers.randomRotation({ factor: 0.1, fillMode: 'mirror' as never })).toThrow(/fillMode must be one of reflect, wrap, constant, nearest, got "mirror"/);
    expect(() => layers.randomZoom({ heightFactor: 0.1, interpolation: 'bicubic' as never })).toThrow(/interpolation must be one of bilinear, nearest/);
    expect(() => layers.randomContrast({ factor: 1.5 })).toThrow(/RandomContrast: factor must be a number in \[0, 1\] or a pair of numbers reaching into it, got 1.5/);
    expect(() => layers.randomBrightness({ factor: [1.2, 1.5] })).toThrow(/RandomBrightness: factor must be a number in \[-1, 1\]/);
    expect(() => layers.randomContrast({ factor: 0.2, valueRange: [1, 0] })).toThrow(/RandomContrast: valueRange must be \[min, max\] with min ≤ max, got \[1,0\]/);
    expect(() => layers.randomBrightness({ factor: 0.2, valueRange: [0, Number.NaN] })).toThrow(/RandomBrightness: valueRange must be a pair of finite numbers/);
    const flat = new Sequential([layers.randomTranslation({ heightFactor: 0.1, widthFactor: 0.1, inputShape: [784] }), layers.dense({ units: 10, activation: 'softmax' })]);
    expect(() => flat.summary()).toThrow(/RandomTranslation layer 'random_translation': expects images \[height, width, channels\], got \[784\]/);
  });
});

describe('the layers before the first trainable one', () => {
  it('record no backward: zero padding before a convolution adds only its forward pass to the step', async () => {
    const device = await testDevice();
    const count = async (first: ReturnType<typeof layers.conv2d>[]) => {
      const model = new Sequential([...first, layers.conv2d({ filters: 3, kernelSize: 3, ...(first.length ? {} : { inputShape: [8, 7, 2] }) }), layers.flatten(), layers.dense({ units: 3, activation: 'softmax' })]);
      await model.compile({ device, optimizer: 'sgd' });
      const step = await model.compiledStep('train', 2);
      const n = step.dispatches.length;
      model.dispose();
      return n;
    };
    const plain = await count([]);
    const padded = await count([layers.zeroPadding2d({ padding: 1, inputShape: [6, 5, 2] }) as never]);
    expect(padded).toBe(plain + 1);
  });
});
