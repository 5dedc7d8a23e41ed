/** Shared test helpers: one device per test file, seeded data, comparisons with stated tolerances. */
import { expect } from 'vitest';
import { createDevice, type Device } from '../../src/device/device.js';
import type { AdapterChoice } from '../../src/device/adapter.js';
import { createRng } from '../../src/data/batches.js';

let shared: Promise<Device> | undefined;

/**
 * The device for this test file (Dawn: a GPU when one is found, else SwiftShader;
 * WEBGPU_DL_ADAPTER=hardware|software forces one, as for the CLI).
 */
export function testDevice(): Promise<Device> {
  shared ??= createDevice({ adapter: (process.env.WEBGPU_DL_ADAPTER as AdapterChoice | undefined) ?? 'auto' });
  return shared;
}

/** The project's seeded generator (mulberry32), so every test input is reproducible. */
export const rng = createRng;

/** `n` uniform values in [lo, hi), float32-representable so GPU and reference see the same input. */
export function randomFloats(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const next = createRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * next();
  return out;
}

/**
 * Asserts |actual − expected| ≤ atol + rtol·|expected| everywhere, and reports the worst
 * element when it fails.
 */
export function expectClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  { atol, rtol = 0 }: { atol: number; rtol?: number },
  what = 'values',
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    const excess = diff - (atol + rtol * Math.abs(expected[i]));
    // Written so that a NaN counts as a failure.
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`);
  }
}

/**
 * Central finite differences of a scalar function at `x`: d f / d x[i] for every i.
 * Float64 throughout; used to check the references' analytic gradients.
 */
export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, eps = 1e-6): Float64Array {
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + eps;
    const up = f(x);
    x[i] = saved - eps;
    const down = f(x);
    x[i] = saved;
    grad[i] = (up - down) / (2 * eps);
  }
  return grad;
}

/** Σ w[i]·y[i]: a random projection that turns a tensor output into a scalar loss for gradient checks. */
export function dot(w: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * y[i];
  return s;
}
