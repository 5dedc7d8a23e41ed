/**
 * A hand-drawn digit made into an MNIST input, the way MNIST's digits were made:
 * the ink's bounding box is scaled, aspect preserved, to fit a 20×20 box, and placed in the
 * 28×28 field so that the ink's centre of mass lies at the field's centre.
 *
 * Resampling is by area (each output pixel is the mean of the drawing over the square it
 * covers), done separably: first along rows, then along columns. Coordinates are continuous,
 * pixel i spanning [i, i + 1], so a pixel's centre is i + 0.5 and the field's centre is 14.
 */

export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
/** The side of the box the digit's bounding box is scaled to fit. */
export const DIGIT_BOX = 20;

export interface InkStats {
  /** Bounding box of the ink, continuous coordinates: [x0, x1) × [y0, y1). */
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  /** Centre of mass of the ink. */
  cx: number;
  cy: number;
  total: number;
}

/** Bounding box and centre of mass of `grey` (width × height, row-major, ink in [0, 1]); undefined when blank. */
export function inkStats(grey: Float32Array, width: number, height: number): InkStats | undefined {
  let x0 = width;
  let x1 = 0;
  let y0 = height;
  let y1 = 0;
  let total = 0;
  let sumX = 0;
  let sumY = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = grey[y * width + x];
      if (v <= 0) continue;
      if (x < x0) x0 = x;
      if (x + 1 > x1) x1 = x + 1;
      if (y < y0) y0 = y;
      if (y + 1 > y1) y1 = y + 1;
      total += v;
      sumX += v * (x + 0.5);
      sumY += v * (y + 0.5);
    }
  }
  if (total === 0) return undefined;
  return { x0, x1, y0, y1, cx: sumX / total, cy: sumY / total, total };
}

/**
 * The 28×28 MNIST input (row-major, [0, 1]) for a drawing `grey` (width × height, row-major,
 * ink in [0, 1], background 0); undefined when the drawing is blank.
 */
export function mnistInputFromDrawing(grey: Float32Array, width: number, height: number): Float32Array | undefined {
  if (grey.length !== width * height) throw new Error(`drawing has ${grey.length} pixels, expected ${width}×${height}`);
  const ink = inkStats(grey, width, height);
  if (!ink) return undefined;
  // Output pixels per drawing pixel.
  const scale = DIGIT_BOX / Math.max(ink.x1 - ink.x0, ink.y1 - ink.y0);
  // Where the bounding box's corner lands in the field, putting the centre of mass at the
  // centre; kept inside the field when a lopsided digit would push ink out of it.
  const placeX = clamp(MNIST_SIDE / 2 - (ink.cx - ink.x0) * scale, 0, MNIST_SIDE - (ink.x1 - ink.x0) * scale);
  const placeY = clamp(MNIST_SIDE / 2 - (ink.cy - ink.y0) * scale, 0, MNIST_SIDE - (ink.y1 - ink.y0) * scale);
  // Output coordinate u maps to drawing coordinate x0 + (u - place) / scale.
  const toDrawingX = (u: number) => ink.x0 + (u - placeX) / scale;
  const toDrawingY = (v: number) => ink.y0 + (v - placeY) / scale;

  // Rows first: rows[y][j] = mean of drawing row y over output column j's span. (height × 28)
  const rows = new Float32Array(height * MNIST_SIDE);
  const prefix = new Float64Array(width + 1);
  for (let y = ink.y0; y < ink.y1; y++) {
    const row = grey.subarray(y * width, (y + 1) * width);
    for (let x = 0; x < width; x++) prefix[x + 1] = prefix[x] + row[x];
    for (let j = 0; j < MNIST_SIDE; j++) {
      rows[y * MNIST_SIDE + j] = (integral(row, prefix, toDrawingX(j + 1)) - integral(row, prefix, toDrawingX(j))) * scale;
    }
  }
  // Then columns: out[i][j] = mean of rows[.][j] over output row i's span. (28 × 28)
  const out = new Float32Array(MNIST_SIDE * MNIST_SIDE);
  const column = new Float32Array(height);
  const columnPrefix = new Float64Array(height + 1);
  for (let j = 0; j < MNIST_SIDE; j++) {
    for (let y = 0; y < height; y++) {
      column[y] = rows[y * MNIST_SIDE + j];
      columnPrefix[y + 1] = columnPrefix[y] + column[y];
    }
    for (let i = 0; i < MNIST_SIDE; i++) {
      const value = (integral(column, columnPrefix, toDrawingY(i + 1)) - integral(column, columnPrefix, toDrawingY(i))) * scale;
      out[i * MNIST_SIDE + j] = Math.min(1, Math.max(0, value));
    }
  }
  return out;
}

/** ∫₀ᵗ of the step function `values` (value k on [k, k + 1)), t clamped to [0, length]. */
function integral(values: Float32Array, prefix: Float64Array, t: number): number {
  const n = values.length;
  if (t <= 0) return 0;
  if (t >= n) return prefix[n];
  const k = Math.floor(t);
  return prefix[k] + (t - k) * values[k];
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(Math.max(value, low), Math.max(low, high));
}
