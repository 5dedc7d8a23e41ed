/** Float64 references for batch normalization over (rows, channels) = (N·H·W, C). */
import type { BatchNormOptions } from '../kernels/batchnorm.js';

export interface BatchNormTrainRef {
  /** (rows, channels) */
  y: Float64Array;
  /** (2, channels): batch mean, 1/sqrt(biased batch variance + epsilon) */
  saved: Float64Array;
  /** (2, channels): the moving mean and variance after the update */
  moving: Float64Array;
}

function settings(options: BatchNormOptions) {
  return {
    momentum: options.momentum ?? 0.99,
    epsilon: options.epsilon ?? 1e-3,
    center: options.center ?? true,
    scale: options.scale ?? true,
  };
}

function gammaAndBeta(gammaBeta: ArrayLike<number>, channels: number, options: BatchNormOptions, c: number): [number, number] {
  const { center, scale } = settings(options);
  return [scale ? gammaBeta[c] : 1, center ? gammaBeta[channels + c] : 0];
}

/** Training forward: x (rows, channels), gammaBeta (2, channels), moving (2, channels) before the update. */
export function batchNormTrainRef(
  x: ArrayLike<number>,
  rows: number,
  channels: number,
  gammaBeta: ArrayLike<number>,
  moving: ArrayLike<number>,
  options: BatchNormOptions = {},
): BatchNormTrainRef {
  const { momentum, epsilon } = settings(options);
  const y = new Float64Array(rows * channels);
  const saved = new Float64Array(2 * channels);
  const movingAfter = new Float64Array(2 * channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let r = 0; r < rows; r++) sum += x[r * channels + c];
    const mean = sum / rows;
    let squares = 0;
    for (let r = 0; r < rows; r++) squares += (x[r * channels + c] - mean) ** 2;
    const variance = squares / rows;
    const invStd = 1 / Math.sqrt(variance + epsilon);
    const [gamma, beta] = gammaAndBeta(gammaBeta, channels, options, c);
    for (let r = 0; r < rows; r++) y[r * channels + c] = gamma * (x[r * channels + c] - mean) * invStd + beta;
    saved[c] = mean;
    saved[channels + c] = invStd;
    movingAfter[c] = moving[c] * momentum + mean * (1 - momentum);
    movingAfter[channels + c] = moving[channels + c] * momentum + variance * (1 - momentum);
  }
  return { y, saved, moving: movingAfter };
}

/** Per channel, what inference multiplies x − moving mean by: gamma/sqrt(moving variance + epsilon). */
function movingScale(gammaBeta: ArrayLike<number>, moving: ArrayLike<number>, channels: number, options: BatchNormOptions): Float64Array {
  const { epsilon } = settings(options);
  return Float64Array.from({ length: channels }, (_, c) => gammaAndBeta(gammaBeta, channels, options, c)[0] / Math.sqrt(moving[channels + c] + epsilon));
}

/** Inference forward with the moving statistics (2, channels). */
export function batchNormInferRef(
  x: ArrayLike<number>,
  rows: number,
  channels: number,
  gammaBeta: ArrayLike<number>,
  moving: ArrayLike<number>,
  options: BatchNormOptions = {},
): Float64Array {
  const scale = movingScale(gammaBeta, moving, channels, options);
  return Float64Array.from({ length: rows * channels }, (_, i) => {
    const c = i % channels;
    return (x[i] - moving[c]) * scale[c] + gammaAndBeta(gammaBeta, channels, options, c)[1];
  });
}

/** Backward through the batch statistics: dX (rows, channels) and dGammaBeta (2, channels). */
export function batchNormBackwardRef(
  x: ArrayLike<number>,
  dY: ArrayLike<number>,
  rows: number,
  channels: number,
  gammaBeta: ArrayLike<number>,
  saved: ArrayLike<number>,
  options: BatchNormOptions = {},
): { dX: Float64Array; dGammaBeta: Float64Array } {
  const { center, scale } = settings(options);
  const dX = new Float64Array(rows * channels);
  const dGammaBeta = new Float64Array(2 * channels);
  for (let c = 0; c < channels; c++) {
    const mean = saved[c];
    const invStd = saved[channels + c];
    const xhat = (r: number) => (x[r * channels + c] - mean) * invStd;
    let dBeta = 0;
    let dGamma = 0;
    for (let r = 0; r < rows; r++) {
      dBeta += dY[r * channels + c];
      dGamma += dY[r * channels + c] * xhat(r);
    }
    const [gamma] = gammaAndBeta(gammaBeta, channels, options, c);
    for (let r = 0; r < rows; r++) {
      dX[r * channels + c] = gamma * invStd * (dY[r * channels + c] - dBeta / rows - (xhat(r) * dGamma) / rows);
    }
    dGammaBeta[c] = scale ? dGamma : 0;
    dGammaBeta[channels + c] = center ? dBeta : 0;
  }
  return { dX, dGammaBeta };
}

/** Backward of a frozen layer through batchNormInferRef: dX (rows, channels) = dY·gamma/sqrt(moving variance + epsilon). */
export function batchNormFrozenBackwardRef(
  dY: ArrayLike<number>,
  rows: number,
  channels: number,
  gammaBeta: ArrayLike<number>,
  moving: ArrayLike<number>,
  options: BatchNormOptions = {},
): Float64Array {
  const scale = movingScale(gammaBeta, moving, channels, options);
  return Float64Array.from({ length: rows * channels }, (_, i) => dY[i] * scale[i % channels]);
}
