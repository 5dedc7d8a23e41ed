/**
 * Float64 reference for random contrast and brightness (shaders/color-adjust.wgsl): each
 * sample's factor from the shader's random bits, and Keras' RandomContrast / RandomBrightness
 * transform_images with given factors.
 */
import type { ImageShape } from '../kernels/affine-transform.js';
import type { ColorAdjustment } from '../kernels/color-adjust.js';
import { streamKey, uniform24 } from './random.js';

/** Each sample's factor at (step, seed): low + (high − low)·u, u from the top 24 of its random bits. */
export function colorFactorsRef(batch: number, adjustment: ColorAdjustment, layerSeed: number, step: number, seed: number): Float64Array {
  const key = streamKey(step, seed, layerSeed);
  const [low, high] = adjustment.factor;
  return Float64Array.from({ length: batch }, (_, n) => low + (high - low) * uniform24(n, key));
}

/** y (batch, height, width, channels) from x with sample n's factor factors[n], clipped to the adjustment's range. */
export function colorAdjustRef(x: ArrayLike<number>, shape: ImageShape, adjustment: ColorAdjustment, factors: ArrayLike<number>): Float64Array {
  const { batch, channels } = shape;
  const pixels = shape.height * shape.width;
  const [min, max] = adjustment.range;
  const y = new Float64Array(batch * pixels * channels);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      let mean = 0;
      for (let p = 0; p < pixels; p++) mean += x[(n * pixels + p) * channels + c];
      mean /= pixels;
      for (let p = 0; p < pixels; p++) {
        const i = (n * pixels + p) * channels + c;
        const value = adjustment.kind === 'contrast' ? (x[i] - mean) * factors[n] + mean : x[i] + factors[n];
        y[i] = Math.min(Math.max(value, min), max);
      }
    }
  }
  return y;
}
