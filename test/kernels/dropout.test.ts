import { describe, expect, it } from 'vitest';
import { dropThreshold, dropoutBackward, dropoutForward, type DropoutOptions } from '../../src/kernels/dropout.js';
import { alphaDropoutBackwardRef, alphaDropoutRef, dropoutMaskRef, dropoutRef } from '../../src/reference/dropout.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import type { Device } from '../../src/device/device.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

// GPU: x · f32(1/(1 − rate)) rounded to f32 (two roundings) vs the exact float64 quotient.
const VALUE_TOLERANCE = { atol: 0, rtol: 2.5e-7 };

function stepInfo(step: number, seed: number): Uint32Array {
  return new Uint32Array([step, seed, 0, 0]);
}

/** keep (1) / drop (0) read off an output whose input had no zeros. */
function maskOf(values: Float32Array): Uint8Array {
  return Uint8Array.from(values, (v) => (v !== 0 ? 1 : 0));
}

/** Asserts equal masks, naming the first differing element (faster than toEqual on 1M elements). */
function expectSameMask(actual: Uint8Array, expected: Uint8Array, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const first = actual.findIndex((m, i) => m !== expected[i]);
  expect(first, `${what}: first differing element`).toBe(-1);
}

function keptFraction(mask: Uint8Array): number {
  return mask.reduce((sum, m) => sum + m, 0) / mask.length;
}

/** Fraction of elements on which two masks agree. */
function agreement(a: Uint8Array, b: Uint8Array): number {
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/**
 * Asserts |observed − expected| < 5σ for the fraction of n independent Bernoulli(p) events
 * (σ = sqrt(p(1 − p)/n)): an ideal generator fails this with probability 6e-7.
 */
function expectFraction(observed: number, p: number, n: number, what: string): void {
  const sigma = Math.sqrt((p * (1 - p)) / n);
  expect(Math.abs(observed - p), `${what}: ${observed} vs ${p} (σ ${sigma.toExponential(2)})`).toBeLessThan(5 * sigma);
}

/** Runs the forward once with stepInfo = [step, seed] and returns y. */
async function forwardAt(device: Device, count: number, options: DropoutOptions, x: Float32Array, step: number, seed: number): Promise<Float32Array> {
  const info = device.upload('stepInfo', stepInfo(step, seed));
  const xBuf = device.upload('x', x);
  const yBuf = device.createBuffer('y', count * 4);
  await runDispatches(device, [await dropoutForward(device, count, options, { stepInfo: info, x: xBuf, y: yBuf })]);
  const y = await device.readFloats(yBuf, 0, count);
  for (const b of [info, xBuf, yBuf]) b.destroy();
  return y;
}

describe('dropout kernels vs reference', () => {
  // [count, rate, layerSeed, step, seed]
  const cases: [number, number, number, number, number][] = [
    [1, 0.5, 0, 1, 0],
    [7 * 13 * 5, 0.25, 3, 17, 12345],
    [1000, 0.5, 1, 2, 0xdeadbeef],
    [4097, 0.8, 0xffffffff, 0xfffffffe, 7],
  ];
  for (const [count, rate, layerSeed, step, seed] of cases) {
    it(`forward and backward share the reference mask bit for bit (n=${count}, rate ${rate})`, async () => {
      const device = await testDevice();
      const options = { rate, layerSeed };
      // No zeros in x or dY, so a zero in y or dX is a dropped element.
      const x = randomFloats(count, count, 0.5, 1.5);
      const dY = randomFloats(count, count + 1, -1.5, -0.5);
      const info = device.upload('stepInfo', stepInfo(step, seed));
      const xBuf = device.upload('x', x);
      const yBuf = device.createBuffer('y', count * 4);
      const dYBuf = device.upload('dY', dY);
      const dXBuf = device.createBuffer('dX', count * 4);
      await runDispatches(device, [
        await dropoutForward(device, count, options, { stepInfo: info, x: xBuf, y: yBuf }),
        await dropoutBackward(device, count, options, { stepInfo: info, dY: dYBuf, dX: dXBuf }),
      ]);
      const mask = dropoutMaskRef(count, options, step, seed);
      const y = await device.readFloats(yBuf, 0, count);
      const dX = await device.readFloats(dXBuf, 0, count);
      expectSameMask(maskOf(y), mask, 'forward mask');
      expectSameMask(maskOf(dX), mask, 'backward mask');
      expectClose(y, dropoutRef(x, mask, rate), VALUE_TOLERANCE, 'y');
      expectClose(dX, dropoutRef(dY, mask, rate), VALUE_TOLERANCE, 'dX');
      for (const b of [info, xBuf, yBuf, dYBuf, dXBuf]) b.destroy();
    });
  }

  it('kept fraction is 1 − rate, and masks of different steps and layers are independent', async () => {
    const device = await testDevice();
    const count = (1 << 20) + 3;
    const x = new Float32Array(count).fill(1);
    for (const rate of [0.3, 0.5]) {
      const keep = 1 - rate;
      const options = { rate, layerSeed: 5 };
      const mask = maskOf(await forwardAt(device, count, options, x, 10, 99));
      expectSameMask(mask, dropoutMaskRef(count, options, 10, 99), 'mask');
      expectFraction(keptFraction(mask), keep, count, `kept fraction at rate ${rate}`);
      // Independent masks agree on an element with probability keep² + rate².
      const agree = keep * keep + rate * rate;
      expectFraction(agreement(mask, dropoutMaskRef(count, options, 11, 99)), agree, count, 'next step');
      expectFraction(agreement(mask, dropoutMaskRef(count, { rate, layerSeed: 6 }, 10, 99)), agree, count, 'next layer');
      expectFraction(agreement(mask, dropoutMaskRef(count, options, 10, 100)), agree, count, 'other seed');
    }
  });

  it('a replayed dispatch draws a new mask when the host advances the step', async () => {
    const device = await testDevice();
    const count = 999;
    const options = { rate: 0.5, layerSeed: 2 };
    const info = device.upload('stepInfo', stepInfo(1, 42));
    const xBuf = device.upload('x', new Float32Array(count).fill(1));
    const yBuf = device.createBuffer('y', count * 4);
    const forward = await dropoutForward(device, count, options, { stepInfo: info, x: xBuf, y: yBuf });
    const masks: Uint8Array[] = [];
    for (const step of [1, 2, 1]) {
      device.gpu.queue.writeBuffer(info, 0, stepInfo(step, 42));
      await runDispatches(device, [forward]);
      masks.push(maskOf(await device.readFloats(yBuf, 0, count)));
      expectSameMask(masks[masks.length - 1], dropoutMaskRef(count, options, step, 42), `step ${step}`);
    }
    // Independent halves agree on about half the elements (σ = 0.016 here).
    expect(agreement(masks[1], masks[0])).toBeLessThan(0.6);
    expectSameMask(masks[2], masks[0], 'step 1 again');
    for (const b of [info, xBuf, yBuf]) b.destroy();
  });

  it('spatial: whole feature maps dropped, each (sample, channel) with the reference bit, forward and backward alike', async () => {
    const device = await testDevice();
    const [batch, height, width, channels] = [64, 5, 3, 7];
    const count = batch * height * width * channels;
    const options: DropoutOptions = { rate: 0.4, layerSeed: 9, spatial: { pixels: height * width, channels } };
    const x = randomFloats(count, 1, 0.5, 1.5);
    const mask = maskOf(await forwardAt(device, count, options, x, 3, 77));
    expectSameMask(mask, dropoutMaskRef(count, options, 3, 77), 'spatial mask');
    // Every pixel of a feature map shares its bit.
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        const bits = new Set(Array.from({ length: height * width }, (_, p) => mask[(n * height * width + p) * channels + c]));
        expect(bits.size, `sample ${n} channel ${c}`).toBe(1);
      }
    }
    const maps = Uint8Array.from({ length: batch * channels }, (_, k) => mask[Math.floor(k / channels) * height * width * channels + (k % channels)]);
    expectFraction(keptFraction(maps), 0.6, maps.length, 'kept feature maps');
  });

  it('rate 0 is the identity', async () => {
    const device = await testDevice();
    const x = randomFloats(1001, 3, -2, 2);
    expect(await forwardAt(device, x.length, { rate: 0, layerSeed: 1 }, x, 5, 6)).toEqual(x);
  });

  it('rejects rates outside [0, 1)', () => {
    expect(() => dropThreshold(1)).toThrow(/outside/);
    expect(() => dropThreshold(-0.1)).toThrow(/outside/);
    expect(dropThreshold(0)).toBe(0);
    expect(dropThreshold(0.5)).toBe(2 ** 31);
  });
});

describe('AlphaDropout kernels vs reference', () => {
  // GPU: a·x + b in f32 (two roundings of values below ~3) against float64: a few 1e-7 absolute.
  const ALPHA_TOLERANCE = { atol: 1e-6, rtol: 0 };
  for (const [count, rate, layerSeed, step, seed] of [
    [1, 0.5, 0, 1, 0],
    [7 * 13 * 5, 0.1, 3, 17, 12345],
    [4097, 0.3, 0xffffffff, 0xfffffffe, 7],
  ] as const) {
    it(`forward a·x + b or a·α' + b, backward a·dY or 0, on the reference mask (n=${count}, rate ${rate})`, async () => {
      const device = await testDevice();
      const options = { rate, layerSeed, alpha: true };
      const x = randomFloats(count, count, -2, 2);
      const dY = randomFloats(count, count + 1, 0.5, 1.5); // no zeros: a zero in dX is a dropped element
      const info = device.upload('stepInfo', stepInfo(step, seed));
      const [xBuf, dYBuf] = [device.upload('x', x), device.upload('dY', dY)];
      const [yBuf, dXBuf] = [device.createBuffer('y', count * 4), device.createBuffer('dX', count * 4)];
      await runDispatches(device, [
        await dropoutForward(device, count, options, { stepInfo: info, x: xBuf, y: yBuf }),
        await dropoutBackward(device, count, options, { stepInfo: info, dY: dYBuf, dX: dXBuf }),
      ]);
      const mask = dropoutMaskRef(count, options, step, seed);
      const dX = await device.readFloats(dXBuf, 0, count);
      expectSameMask(maskOf(dX), mask, 'backward mask');
      expectClose(await device.readFloats(yBuf, 0, count), alphaDropoutRef(x, mask, rate), ALPHA_TOLERANCE, 'y');
      expectClose(dX, alphaDropoutBackwardRef(dY, mask, rate), ALPHA_TOLERANCE, 'dX');
      for (const b of [info, xBuf, yBuf, dYBuf, dXBuf]) b.destroy();
    });
  }

  it("keeps a standard normal input at mean 0 and variance 1 (Keras' a and b, SELU's fixed point)", async () => {
    const device = await testDevice();
    const count = 1 << 20;
    // Standard normal draws by Box–Muller from the test generator.
    const u = randomFloats(2 * count, 3, 0, 1);
    const x = Float32Array.from({ length: count }, (_, i) => Math.sqrt(-2 * Math.log(1 - u[2 * i])) * Math.cos(2 * Math.PI * u[2 * i + 1]));
    for (const rate of [0.1, 0.3]) {
      const y = await forwardAt(device, count, { rate, layerSeed: 4, alpha: true }, x, 5, 6);
      const mean = y.reduce((s, v) => s + v, 0) / count;
      const variance = y.reduce((s, v) => s + (v - mean) ** 2, 0) / count;
      // Standard errors at 2^20 samples: about 1e-3 for the mean, 2e-3 for the variance.
      expect(Math.abs(mean), `mean at rate ${rate}`).toBeLessThan(5e-3);
      expect(Math.abs(variance - 1), `variance at rate ${rate}`).toBeLessThan(1e-2);
    }
  });

  it('the reference backward is the forward\'s gradient by finite differences', () => {
    const count = 64;
    const options = { rate: 0.25, layerSeed: 9, alpha: true };
    const mask = dropoutMaskRef(count, options, 3, 4);
    const x = Float64Array.from(randomFloats(count, 1, -2, 2));
    const r = randomFloats(count, 2);
    expectClose(alphaDropoutBackwardRef(r, mask, 0.25), numericGradient((v) => dot(r, alphaDropoutRef(v, mask, 0.25)), x), { atol: 1e-8 }, 'dX');
  });
});
