/** Float64 reference for dropout: the shader's hash in u32 arithmetic, bit for bit. */
import { alphaDropoutAffine, dropThreshold, type DropoutOptions } from '../kernels/dropout.js';

/** pcg_hash (Jarzynski & Olano 2020) on u32, as in shaders/dropout.wgsl. */
export function pcg(v: number): number {
  const state = (Math.imul(v, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** keep (1) or drop (0) for each of `count` elements at this step (per (sample, channel) for spatial dropout). */
export function dropoutMaskRef(count: number, options: DropoutOptions, step: number, seed: number): Uint8Array {
  const key = pcg((pcg((pcg(step) ^ seed) >>> 0) ^ options.layerSeed) >>> 0);
  const threshold = dropThreshold(options.rate);
  const mask = new Uint8Array(count);
  const { pixels, channels } = options.spatial ?? { pixels: 0, channels: 1 };
  for (let i = 0; i < count; i++) {
    const index = pixels > 0 ? Math.floor(i / (pixels * channels)) * channels + (i % channels) : i;
    mask[i] = pcg((pcg(index) ^ key) >>> 0) >= threshold ? 1 : 0;
  }
  return mask;
}

/** x · mask / (1 − rate); also the backward, dY · mask / (1 − rate). */
export function dropoutRef(x: ArrayLike<number>, mask: Uint8Array, rate: number): Float64Array {
  return Float64Array.from(x, (v, i) => (mask[i] ? v / (1 - rate) : 0));
}

/** AlphaDropout's forward: a·x + b where kept, a·α' + b where dropped (Keras' a·(x·kept + α'·(1 − kept)) + b). */
export function alphaDropoutRef(x: ArrayLike<number>, mask: Uint8Array, rate: number): Float64Array {
  const { a, b, dropped } = alphaDropoutAffine(rate);
  return Float64Array.from(x, (v, i) => (mask[i] ? a * v + b : dropped));
}

/** AlphaDropout's backward: dY · a where kept, 0 where dropped. */
export function alphaDropoutBackwardRef(dY: ArrayLike<number>, mask: Uint8Array, rate: number): Float64Array {
  const { a } = alphaDropoutAffine(rate);
  return Float64Array.from(dY, (v, i) => (mask[i] ? a * v : 0));
}
