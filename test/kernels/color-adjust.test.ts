/**
 * Random contrast and brightness (shaders/color-adjust.wgsl): the float64 reference against
 * Keras' own RandomContrast / RandomBrightness transform_images for given factors; the GPU's
 * draws against the reference's; the GPU's images against the reference's for its draws, over
 * odd shapes; and Keras' reading of the factor arguments.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Device } from '../../src/device/device.js';
import type { ImageShape } from '../../src/kernels/affine-transform.js';
import { colorAdjust, type ColorAdjustment } from '../../src/kernels/color-adjust.js';
import { RandomBrightness, RandomContrast } from '../../src/nn/layers/color-augmentation.js';
import { colorAdjustRef, colorFactorsRef } from '../../src/reference/color-adjust.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

// Keras 3.15.1 (JAX) on fixed images with given per-sample factors
// (test/fixtures/keras-files/generate.py, "color-adjustments").
const keras = JSON.parse(readFileSync(new URL('../fixtures/keras-files/expected.json', import.meta.url), 'utf8'))['color-adjustments'];
const [kerasBatch, kerasHeight, kerasWidth, kerasChannels] = keras.shape as number[];
const kerasShape: ImageShape = { batch: kerasBatch, height: kerasHeight, width: kerasWidth, channels: kerasChannels };

/** The adjusted images and each sample's draw, on the GPU at (step, seed). */
async function adjustOnGpu(device: Device, x: Float32Array, shape: ImageShape, adjustment: ColorAdjustment, layerSeed: number, step: number, seed: number): Promise<Float32Array> {
  const stepInfo = device.upload('stepInfo', new Uint32Array([step, seed, 0, 0])); // (4) u32
  const xBuf = device.upload('x', x); // (batch, height, width, channels)
  const means = device.createBuffer('means', shape.batch * shape.channels * 4); // (batch, channels)
  const yBuf = device.upload('y', new Float32Array(x.length).fill(Number.NaN)); // (batch, height, width, channels)
  await runDispatches(device, await colorAdjust(device, shape, adjustment, layerSeed, { stepInfo, x: xBuf, means, y: yBuf }));
  const y = await device.readFloats(yBuf, 0, x.length);
  for (const b of [stepInfo, xBuf, means, yBuf]) b.destroy();
  return y;
}

describe('color adjustment reference vs Keras', () => {
  for (const c of keras.cases as { kind: 'contrast' | 'brightness'; value_range: [number, number]; factors: number[]; output: number[] }[]) {
    it(`${c.kind}, value range [${c.value_range}]: Keras' transform_images for given factors`, () => {
      const adjustment: ColorAdjustment = { kind: c.kind, factor: [0, 1], range: c.value_range };
      const y = colorAdjustRef(keras.images, kerasShape, adjustment, c.factors);
      // Keras computes in float32: the mean of 35 values and one multiply-add, values ≤ 2.
      expectClose(y, c.output, { atol: 1e-6 }, c.kind);
      const [min, max] = c.value_range;
      expect(y.filter((v) => v === min || v === max).length, 'the clipping acts').toBeGreaterThan(0);
    });
  }

  it("reads the factor as Keras' layers do (their self.factor)", () => {
    for (const { factor, range } of keras.ranges.contrast) {
      expect(new RandomContrast({ factor }).config().factor, JSON.stringify(factor)).toEqual(range);
    }
    for (const { factor, range } of keras.ranges.brightness) {
      expect(new RandomBrightness({ factor }).config().factor, JSON.stringify(factor)).toEqual(range);
    }
  });
});

// Odd shapes: one pixel, a row of 3 channels, MNIST's 28×28×1, a batch of 5.
const shapes: ImageShape[] = [
  { batch: 3, height: 1, width: 1, channels: 2 },
  { batch: 2, height: 1, width: 7, channels: 3 },
  { batch: 5, height: 28, width: 28, channels: 1 },
  { batch: 4, height: 5, width: 6, channels: 4 },
];
const adjustments: ColorAdjustment[] = [
  { kind: 'contrast', factor: [0.5, 1.8], range: [0, 1] },
  { kind: 'brightness', factor: [-0.3, 0.4], range: [0.1, 0.9] },
];

describe('color adjustment on the GPU vs the float64 reference', () => {
  for (const adjustment of adjustments) {
    for (const [index, shape] of shapes.entries()) {
      it(`${adjustment.kind} ${shape.batch}×${shape.height}×${shape.width}×${shape.channels}`, async () => {
        const device = await testDevice();
        const x = randomFloats(shape.batch * shape.height * shape.width * shape.channels, 30 + index, 0, 1);
        const [layerSeed, step, seed] = [0x9e3779b9 + index, 3 + index, 17];
        const factors = colorFactorsRef(shape.batch, adjustment, layerSeed, step, seed);
        for (const f of factors) expect(f >= adjustment.factor[0] && f < adjustment.factor[1], `draw ${f} in [${adjustment.factor}]`).toBe(true);
        const y = await adjustOnGpu(device, x, shape, adjustment, layerSeed, step, seed);
        // float32: the draw (|f| < 2, a few ulps), the channel mean of up to 784 values in [0, 1]
        // (their sum rounded at most 784 times, relative 2^-24 each), one multiply-add.
        expectClose(y, colorAdjustRef(x, shape, adjustment, factors), { atol: 2e-5 }, 'y');
        // Another step draws again; the reference's other draws are not these (except for the
        // contrast of one-pixel images, each pixel its channel's mean, which no factor moves).
        const other = colorAdjustRef(x, shape, adjustment, colorFactorsRef(shape.batch, adjustment, layerSeed, step + 1, seed));
        const movable = adjustment.kind === 'brightness' || shape.height * shape.width > 1;
        expect(other.some((v, i) => Math.abs(v - y[i]) > 1e-3), 'a different step, different images').toBe(movable);
      });
    }
  }

  it("the GPU's draws are the reference's, and uniform over the range: 2000 samples, each tenth within 5σ of 200", async () => {
    // Brightness on zeros with a range that never clips: each sample's output is its draw.
    const adjustment: ColorAdjustment = { kind: 'brightness', factor: [-0.3, 0.4], range: [-1, 1] };
    const shape = { batch: 2000, height: 1, width: 1, channels: 1 };
    const draws = await adjustOnGpu(await testDevice(), new Float32Array(2000), shape, adjustment, 12345, 1, 2);
    expectClose(draws, colorFactorsRef(2000, adjustment, 12345, 1, 2), { atol: 1e-7 }, 'draws');
    const [low, high] = adjustment.factor;
    const counts = new Array(10).fill(0);
    for (const f of draws) counts[Math.min(9, Math.floor(((f - low) / (high - low)) * 10))]++;
    const sigma = Math.sqrt(2000 * 0.1 * 0.9);
    for (const count of counts) expect(Math.abs(count - 200), `${counts}`).toBeLessThan(5 * sigma);
  });
});
