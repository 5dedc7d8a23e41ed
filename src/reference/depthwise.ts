/**
 * Float64 references for the depthwise convolution, forward and backward, written out directly
 * per tap (no gathering), so they check the kernels' window arithmetic independently.
 *   x: (N, H, W, C)   kernel: (KH, KW, C, DM)   bias, dB: (C·DM)   y, dY: (N, OH, OW, C·DM)
 */
import type { DepthwiseParams } from '../kernels/depthwise.js';

/** Calls visit(xIndex, kernelIndex, yIndex) for every product of the convolution (taps in the padding skipped). */
function forEachProduct(p: DepthwiseParams, visit: (xIndex: number, kernelIndex: number, yIndex: number) => void): void {
  const { batch, height, width, channels: C, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW, depthMultiplier: DM } = p;
  const [dilationH, dilationW] = [p.dilationH ?? 1, p.dilationW ?? 1];
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let kh = 0; kh < kernelH; kh++) {
          const h = oh * strideH - padTop + kh * dilationH;
          if (h < 0 || h >= height) continue;
          for (let kw = 0; kw < kernelW; kw++) {
            const w = ow * strideW - padLeft + kw * dilationW;
            if (w < 0 || w >= width) continue;
            for (let c = 0; c < C; c++) {
              for (let m = 0; m < DM; m++) {
                visit(((n * height + h) * width + w) * C + c, ((kh * kernelW + kw) * C + c) * DM + m, ((n * outH + oh) * outW + ow) * C * DM + c * DM + m);
              }
            }
          }
        }
      }
    }
  }
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
