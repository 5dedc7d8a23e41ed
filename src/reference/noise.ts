/** Float64 reference for the Gaussian noise layers: the shader's draws from the same hash bits. */
import type { NoiseOptions } from '../kernels/noise.js';
import { randomBits, streamKey } from './random.js';

/**
 * The standard normal draws of `count` elements at this step, by Box–Muller from the shader's
 * bits, the uniforms rounded to float32 as the shader forms them.
 */
export function normalDrawsRef(count: number, layerSeed: number, step: number, seed: number): Float64Array {
  const key = streamKey(step, seed, layerSeed);
  const z = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const u1 = Math.fround(Math.fround(randomBits(2 * i, key)) + 1) * 2 ** -32;
    const u2 = Math.fround(randomBits(2 * i + 1, key)) * 2 ** -32;
    z[i] = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  return z;
}

/** The forward: x + stddev·z, or x·(1 + stddev·z). */
export function noiseForwardRef(x: ArrayLike<number>, z: Float64Array, options: NoiseOptions): Float64Array {
  return Float64Array.from(x, (v, i) => (options.kind === 'add' ? v + options.stddev * z[i] : v * (1 + options.stddev * z[i])));
}

/** Multiplied noise's backward: dY·(1 + stddev·z). */
export function noiseBackwardRef(dY: ArrayLike<number>, z: Float64Array, stddev: number): Float64Array {
  return Float64Array.from(dY, (v, i) => v * (1 + stddev * z[i]));
}
