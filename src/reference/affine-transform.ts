/**
 * Float64 reference for the random affine transforms (shaders/affine-transform.wgsl): each
 * sample's map from the shader's random bits, and keras.ops.image.affine_transform with the
 * JAX backend (jax.scipy.ndimage.map_coordinates, order 0 or 1) through it.
 */
import type { FillMode, ImageShape, Interpolation, TransformDraw } from '../kernels/affine-transform.js';
import { streamKey, uniform24 } from './random.js';

/** The shader's draw j of sample n at (step, seed): u in [0, 1) from the top 24 of its 32 random bits. */
function uniform(n: number, j: number, layerSeed: number, step: number, seed: number): number {
  return uniform24(2 * n + j, streamKey(step, seed, layerSeed));
}

const between = ([low, high]: [number, number], u: number) => low + (high - low) * u;

/**
 * Keras' map for one sample's parameters, [a0 a1 a2 b0 b1 b2 0 0] (the output pixel (x, y)
 * reads the input at (a0·x + a1·y + a2, b0·x + b1·y + b2)), as RandomRotation's
 * _compute_affine_matrix, RandomZoom's _get_zoom_matrix and RandomTranslation's
 * _get_translation_matrix build it.
 */
export function rotationMatrix(radians: number, height: number, width: number): number[] {
  const [cx, cy] = [(width - 1) / 2, (height - 1) / 2];
  const [c, s] = [Math.cos(radians), Math.sin(radians)];
  return [c, -s, cx - cx * c + cy * s, s, c, cy - cx * s - cy * c, 0, 0];
}

export function zoomMatrix(zoomHeight: number, zoomWidth: number, height: number, width: number): number[] {
  return [zoomWidth, 0, ((width - 1) / 2) * (1 - zoomWidth), 0, zoomHeight, ((height - 1) / 2) * (1 - zoomHeight), 0, 0];
}

/** dx, dy in pixels (positive: the image moves right, down). */
export function translationMatrix(dx: number, dy: number): number[] {
  return [1, 0, -dx, 0, 1, -dy, 0, 0];
}

/** RandomFlip's map: the columns and/or the rows reversed. */
export function flipMatrix(columns: boolean, rows: boolean, height: number, width: number): number[] {
  return [columns ? -1 : 1, 0, columns ? width - 1 : 0, 0, rows ? -1 : 1, rows ? height - 1 : 0, 0, 0];
}

/** Each sample's map at (step, seed), as sampleTransforms draws it: (batch, 8). */
export function sampleTransformsRef(shape: ImageShape, draw: TransformDraw, layerSeed: number, step: number, seed: number): Float64Array {
  const out = new Float64Array(shape.batch * 8);
  for (let n = 0; n < shape.batch; n++) {
    const u0 = uniform(n, 0, layerSeed, step, seed);
    const u1 = uniform(n, 1, layerSeed, step, seed);
    let matrix: number[];
    if (draw.kind === 'rotation') matrix = rotationMatrix(between(draw.radians, u0), shape.height, shape.width);
    else if (draw.kind === 'zoom') {
      const zoomHeight = between(draw.height, u0);
      matrix = zoomMatrix(zoomHeight, draw.width ? between(draw.width, u1) : zoomHeight, shape.height, shape.width);
    } else if (draw.kind === 'translation') matrix = translationMatrix(between(draw.width, u1) * shape.width, between(draw.height, u0) * shape.height);
    else matrix = u0 <= 0.5 ? flipMatrix(draw.columns, draw.rows, shape.height, shape.width) : flipMatrix(false, false, shape.height, shape.width);
    out.set(matrix, n * 8);
  }
  return out;
}

/** jax.scipy.ndimage's index fixers: where a tap at index i of an axis of `size` reads. */
function fixIndex(i: number, size: number, mode: FillMode): number {
  const mod = (a: number, m: number) => ((a % m) + m) % m;
  switch (mode) {
    case 'reflect':
      return Math.floor((Math.abs(mod(2 * i + 1 + 2 * size, 4 * size) - 2 * size) - 1) / 2);
    case 'wrap':
      return mod(i, size);
    case 'nearest':
      return Math.min(Math.max(i, 0), size - 1);
    case 'constant':
      return i;
  }
}

/** Rounds half away from zero (lax.round). */
const roundAway = (v: number) => Math.sign(v) * Math.floor(Math.abs(v) + 0.5);

/** y = x sampled through each sample's map (transforms: (batch, 8)); x, y: (batch, height, width, channels). */
export function affineTransformRef(
  x: ArrayLike<number>,
  shape: ImageShape,
  transforms: ArrayLike<number>,
  fill: { mode: FillMode; value: number; interpolation: Interpolation },
): Float64Array {
  const { batch, height, width, channels } = shape;
  const y = new Float64Array(batch * height * width * channels);
  const tap = (n: number, c: number, row: number, column: number) => {
    if (fill.mode === 'constant' && (row < 0 || row >= height || column < 0 || column >= width)) return fill.value;
    return x[((n * height + fixIndex(row, height, fill.mode)) * width + fixIndex(column, width, fill.mode)) * channels + c];
  };
  for (let n = 0; n < batch; n++) {
    const [a0, a1, a2, b0, b1, b2] = Array.from({ length: 6 }, (_, k) => transforms[8 * n + k]);
    for (let row = 0; row < height; row++) {
      for (let column = 0; column < width; column++) {
        const sourceX = a0 * column + a1 * row + a2;
        const sourceY = b0 * column + b1 * row + b2;
        for (let c = 0; c < channels; c++) {
          let value: number;
          if (fill.interpolation === 'nearest') value = tap(n, c, roundAway(sourceY), roundAway(sourceX));
          else {
            const [y0, x0] = [Math.floor(sourceY), Math.floor(sourceX)];
            const [wy, wx] = [sourceY - y0, sourceX - x0];
            value =
              (1 - wy) * ((1 - wx) * tap(n, c, y0, x0) + wx * tap(n, c, y0, x0 + 1)) + wy * ((1 - wx) * tap(n, c, y0 + 1, x0) + wx * tap(n, c, y0 + 1, x0 + 1));
          }
          y[((n * height + row) * width + column) * channels + c] = value;
        }
      }
    }
  }
  return y;
}
