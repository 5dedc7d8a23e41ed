/**
 * The Gaussian noise kernel against its float64 reference (the same hash bits through
 * Box–Muller): added and multiplied noise, forward and the multiplied noise's backward, over
 * odd sizes; the draws are standard normal (mean, variance, tails) and independent between
 * steps and layers.
 */
import { describe, expect, it } from 'vitest';
import { noiseBackward, noiseForward, type NoiseOptions } from '../../src/kernels/noise.js';
import { noiseBackwardRef, noiseForwardRef, normalDrawsRef } from '../../src/reference/noise.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

// f32 log, sqrt and cos against float64 on the same uniforms: a few ulp of z (|z| < 6.7).
const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };

describe('gaussian noise kernel vs float64 reference', () => {
  const cases: [NoiseOptions, number, number, number][] = [
    [{ kind: 'add', stddev: 0.3, layerSeed: 5 }, 1, 3, 11],
    [{ kind: 'add', stddev: 1.5, layerSeed: 0xffffffff }, 7 * 13 * 5, 9, 0xdeadbeef],
    [{ kind: 'multiply', stddev: Math.sqrt(0.2 / 0.8), layerSeed: 7 }, 1000, 2, 4],
    [{ kind: 'multiply', stddev: 1, layerSeed: 1 }, 4097, 0xfffffffe, 1],
  ];
  for (const [options, count, step, seed] of cases) {
    it(`${options.kind} noise, stddev ${options.stddev.toFixed(2)}, n=${count}: forward${options.kind === 'multiply' ? ' and backward' : ''} draw the reference's normals`, async () => {
      const device = await testDevice();
      const x = randomFloats(count, count, -2, 2);
      const dY = randomFloats(count, count + 1);
      const info = device.upload('stepInfo', Uint32Array.of(step, seed, 0, 0));
      const xBuf = device.upload('x', x);
      const yBuf = device.createBuffer('y', count * 4);
      const dYBuf = device.upload('dY', dY);
      const dXBuf = device.createBuffer('dX', count * 4);
      const dispatches = [await noiseForward(device, count, options, { stepInfo: info, x: xBuf, y: yBuf })];
      if (options.kind === 'multiply') dispatches.push(await noiseBackward(device, count, options, { stepInfo: info, dY: dYBuf, dX: dXBuf }));
      await runDispatches(device, dispatches);
      const z = normalDrawsRef(count, options.layerSeed, step, seed);
      expectClose(await device.readFloats(yBuf, 0, count), noiseForwardRef(x, z, options), TOLERANCE, 'y');
      if (options.kind === 'multiply') expectClose(await device.readFloats(dXBuf, 0, count), noiseBackwardRef(dY, z, options.stddev), TOLERANCE, 'dX');
      for (const b of [info, xBuf, yBuf, dYBuf, dXBuf]) b.destroy();
    });
  }

  it('the draws are standard normal and independent between steps and layers', () => {
    const n = 200_000;
    const z = normalDrawsRef(n, 3, 1, 42);
    const mean = z.reduce((a, b) => a + b, 0) / n;
    const variance = z.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    expect(Math.abs(mean)).toBeLessThan(5 / Math.sqrt(n)); // σ of the mean: 1/√n
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n)); // σ of the variance: √(2/n)
    // Tails: P(|z| > 2) = 0.0455 (σ of the fraction √(p(1 − p)/n)).
    const beyond = z.filter((v) => Math.abs(v) > 2).length / n;
    expect(Math.abs(beyond - 0.0455)).toBeLessThan(5 * Math.sqrt((0.0455 * 0.9545) / n));
    const correlation = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * b[i], 0) / n;
    expect(Math.abs(correlation(z, normalDrawsRef(n, 3, 2, 42)))).toBeLessThan(5 / Math.sqrt(n));
    expect(Math.abs(correlation(z, normalDrawsRef(n, 4, 1, 42)))).toBeLessThan(5 / Math.sqrt(n));
  });

  it('added noise has no backward kernel: its gradient passes unchanged', async () => {
    const device = await testDevice();
    const buffer = device.createBuffer('b', 16);
    expect(() => noiseBackward(device, 4, { kind: 'add', stddev: 1, layerSeed: 0 }, { stepInfo: buffer, dY: buffer, dX: buffer })).toThrow(/only multiplied noise has one/);
    buffer.destroy();
  });
});
