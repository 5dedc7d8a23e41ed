/** Float64 references for layer normalization over the last axis: x (rows, cols), each row normalized. */
import type { LayerNormOptions } from '../kernels/layernorm.js';

function affine(gammaBeta: ArrayLike<number>, cols: number, options: LayerNormOptions, c: number): [number, number] {
  const scale = options.scale ?? true;
  const center = options.center ?? true;
  return [scale ? gammaBeta[c] : 1, center ? gammaBeta[(scale ? cols : 0) + c] : 0];
}

/** y (rows, cols) and each row's mean and 1/sqrt(biased variance + epsilon), saved (rows, 2). gammaBeta: the rows present, gamma then beta. */
export function layerNormRef(x: ArrayLike<number>, rows: number, cols: number, gammaBeta: ArrayLike<number>, options: LayerNormOptions = {}): { y: Float64Array; saved: Float64Array } {
  const epsilon = options.epsilon ?? 1e-3;
  const y = new Float64Array(rows * cols);
  const saved = new Float64Array(2 * rows);
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: cols }, (_, c) => x[r * cols + c]);
    const mean = row.reduce((s, v) => s + v, 0) / cols;
    const invStd = 1 / Math.sqrt(row.reduce((s, v) => s + (v - mean) ** 2, 0) / cols + epsilon);
    saved[2 * r] = mean;
    saved[2 * r + 1] = invStd;
    row.forEach((v, c) => {
      const [gamma, beta] = affine(gammaBeta, cols, options, c);
      y[r * cols + c] = gamma * (v - mean) * invStd + beta;
    });
  }
  return { y, saved };
}

/** dX (rows, cols), dGamma and dBeta (cols) from dY, through layerNormRef's forward. */
export function layerNormBackwardRef(
  x: ArrayLike<number>,
  dY: ArrayLike<number>,
  rows: number,
  cols: number,
  gammaBeta: ArrayLike<number>,
  options: LayerNormOptions = {},
): { dX: Float64Array; dGamma: Float64Array; dBeta: Float64Array } {
  const { saved } = layerNormRef(x, rows, cols, gammaBeta, options);
  const dX = new Float64Array(rows * cols);
  const dGamma = new Float64Array(cols);
  const dBeta = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const [mean, invStd] = [saved[2 * r], saved[2 * r + 1]];
    const xhat = (c: number) => (x[r * cols + c] - mean) * invStd;
    const g = (c: number) => dY[r * cols + c] * affine(gammaBeta, cols, options, c)[0];
    let sumG = 0;
    let sumGXhat = 0;
    for (let c = 0; c < cols; c++) {
      sumG += g(c);
      sumGXhat += g(c) * xhat(c);
      dGamma[c] += dY[r * cols + c] * xhat(c);
      dBeta[c] += dY[r * cols + c];
    }
    for (let c = 0; c < cols; c++) dX[r * cols + c] = invStd * (g(c) - sumG / cols - (xhat(c) * sumGXhat) / cols);
  }
  return { dX, dGamma, dBeta };
}
