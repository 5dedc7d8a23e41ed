/**
 * Float64 references for the depthwise convolution, forward and backward, by scattering over
 * the window taps (no gathering), so they check the kernels' gathers independently.
 *   x: (N, H, W, C)   kernel: (KH, KW, C, DM)   bias, dB: (C·DM)   y, dY: (N, OH, OW, C·DM)
 */
import type { DepthwiseParams } from '../kernels/depthwise.js';
import { forEachWindowTap } from './conv.js';

/**
 * Calls visit(xIndex, kernelIndex, yIndex) for every product of the convolution (taps in the
 * padding skipped): each window tap that im2col would copy (conv.ts' forEachWindowTap: output
 * pixel `row`, tap k = (kh·KW + kw)·C + c) meets each of channel c's DM filters.
 */
function forEachProduct(p: DepthwiseParams, visit: (xIndex: number, kernelIndex: number, yIndex: number) => void): void {
  const { channels: C, depthMultiplier: DM } = p;
  forEachWindowTap(p, (row, k, xIndex) => {
    const c = k % C;
    for (let m = 0; m < DM; m++) visit(xIndex, k * DM + m, (row * C + c) * DM + m);
  });
}

export function depthwiseRef(x: ArrayLike<number>, kernel: ArrayLike<number>, bias: ArrayLike<number> | null, p: DepthwiseParams): Float64Array {
  const outputs = p.channels * p.depthMultiplier;
  const y = Float64Array.from({ length: p.batch * p.outH * p.outW * outputs }, (_, i) => (bias ? bias[i % outputs] : 0));
  forEachProduct(p, (xi, ki, yi) => (y[yi] += x[xi] * kernel[ki]));
  return y;
}

export function depthwiseBackwardRef(x: ArrayLike<number>, kernel: ArrayLike<number>, dY: ArrayLike<number>, p: DepthwiseParams): { dX: Float64Array; dKernel: Float64Array; dB: Float64Array } {
  const outputs = p.channels * p.depthMultiplier;
  const dX = new Float64Array(x.length);
  const dKernel = new Float64Array(kernel.length);
  const dB = new Float64Array(outputs);
  for (let i = 0; i < dY.length; i++) dB[i % outputs] += dY[i];
  forEachProduct(p, (xi, ki, yi) => {
    dX[xi] += dY[yi] * kernel[ki];
    dKernel[ki] += dY[yi] * x[xi];
  });
  return { dX, dKernel, dB };
}
