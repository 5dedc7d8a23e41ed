/** Float64 reference for dropout: the shader's hash in u32 arithmetic, bit for bit. */
import { alphaDropoutAffine, dropThreshold, type DropoutOptions } from '../kernels/dropout.js';
import { randomBits, streamKey } from './random.js';

/** keep (1) or drop (0) for each of `count` elements at this step (per (sample, channel) for spatial dropout). */
export function dropoutMaskRef(count: number, options: DropoutOptions, step: number, seed: number): Uint8Array {
  const key = streamKey(step, seed, options.layerSeed);
  const threshold = dropThreshold(options.rate);
  const mask = new Uint8Array(count);
  const { pixels, channels } = options.spatial ?? { pixels: 0, channels: 1 };
  for (let i = 0; i < count; i++) {
    const index = pixels > 0 ? Math.floor(i / (pixels * channels)) * channels + (i % channels) : i;
    mask[i] = randomBits(index, key) >= threshold ? 1 : 0;
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
