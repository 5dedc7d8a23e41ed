/**
 * The range of pixel values a model takes. The engine's loaders give pixels / 255, in [0, 1],
 * as Keras' MNIST examples scale them before training; a Keras model that opens with
 * `Rescaling(1/255)` (or `Rescaling(1/127.5, offset=-1)`) was instead trained on raw 0..255
 * pixels and sees [0, 1] inputs 255 times too small.
 */
import { typeName } from '../data/type-name.js';
import { Flatten } from './layers/flatten.js';
import type { Layer } from './layers/layer.js';
import { Rescaling } from './layers/rescaling.js';
import { Reshape } from './layers/reshape.js';

/** 1: pixels / 255, in [0, 1]; 255: raw pixels, in [0, 255]. */
export type PixelRange = 1 | 255;

export const PIXEL_RANGES: readonly PixelRange[] = [1, 255];

/**
 * 255 when the model's first layer past any reshape is a Rescaling that maps 0..255 onto a
 * range at most 2 wide (a model that scales raw pixels itself), else 1.
 */
export function pixelRangeForModel(model: { layers: readonly Layer[] }): PixelRange {
  if (!Array.isArray(model?.layers)) throw new Error(`pixelRangeForModel: expected a model (with its layers), got ${typeName(model)}`);
  const first = model.layers.find((layer) => !(layer instanceof Reshape || layer instanceof Flatten));
  return first instanceof Rescaling && Math.abs(first.scale) * 255 <= 2 + 1e-6 ? 255 : 1;
}

/** Images of pixels / 255 (the loaders' [0, 1]) in the range given: the same array, scaled in place for 255. */
export function toPixelRange(images: Float32Array, range: PixelRange): Float32Array {
  if (!(images instanceof Float32Array)) throw new Error(`toPixelRange: images must be a Float32Array (loadMnist's pixels / 255), got ${typeName(images)}`);
  if (!PIXEL_RANGES.includes(range)) throw new Error(`toPixelRange: range must be 1 or 255, got ${JSON.stringify(range)}`);
  if (range === 255) for (let i = 0; i < images.length; i++) images[i] *= 255;
  return images;
}
