/**
 * Float64 references for convolution: im2col and col2im as the GPU kernels define them, and a
 * direct convolution (forward and backward) that does not go through im2col, so the two can
 * check each other.
 *   x: (N, H, W, C)  w: HWIO (KH, KW, C, COUT)  bias: (COUT)  y, dY: (N, OH, OW, COUT)
 *   col, dCol: (N*OH*OW, KH*KW*C)
 */
import type { ConvParams } from '../kernels/im2col.js';

/**
 * Calls `visit(row, k, xIndex)` for every entry of col that im2col copies from x (padding
 * entries, which are 0, are skipped): row = (n*OH + oh)*OW + ow, k = (kh*KW + kw)*C + c.
 */
export function forEachWindowTap(p: ConvParams, visit: (row: number, k: number, xIndex: number) => void): void {
  const { batch, height, width, channels, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW } = p;
  const [dilationH, dilationW] = [p.dilationH ?? 1, p.dilationW ?? 1];
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const row = (n * outH + oh) * outW + ow;
        for (let kh = 0; kh < kernelH; kh++) {
          const h = oh * strideH - padTop + kh * dilationH;
          if (h < 0 || h >= height) continue;
          for (let kw = 0; kw < kernelW; kw++) {
            const w = ow * strideW - padLeft + kw * dilationW;
            if (w < 0 || w >= width) continue;
            for (let c = 0; c < channels; c++) {
              visit(row, (kh * kernelW + kw) * channels + c, ((n * height + h) * width + w) * channels + c);
            }
          }
        }
      }
    }
  }
}

/** Columns of col: KH*KW*C. */
export function colWidth(p: ConvParams): number {
  return p.kernelH * p.kernelW * p.channels;
}

/** col: (N*OH*OW, KH*KW*C) from x: (N, H, W, C), zeros in the padding. */
export function im2colRef(x: ArrayLike<number>, p: ConvParams): Float64Array {
  const k = colWidth(p);
  const col = new Float64Array(p.batch * p.outH * p.outW * k);
  forEachWindowTap(p, (row, tap, xIndex) => {
    col[row * k + tap] = x[xIndex];
  });
  return col;
}

/** dX: (N, H, W, C) from dCol: (N*OH*OW, KH*KW*C), by scatter-adding each entry to its source pixel. */
export function col2imRef(dCol: ArrayLike<number>, p: ConvParams, reluOutput?: ArrayLike<number>): Float64Array {
  const k = colWidth(p);
  const dX = new Float64Array(p.batch * p.height * p.width * p.channels);
  forEachWindowTap(p, (row, tap, xIndex) => {
    dX[xIndex] += dCol[row * k + tap];
  });
  // The fused ReLU backward: no gradient where the ReLU's output x is ≤ 0.
  if (reluOutput) for (let i = 0; i < dX.length; i++) if (!(reluOutput[i] > 0)) dX[i] = 0;
  return dX;
}

/** COUT from the size of an HWIO kernel. */
function filterCount(w: ArrayLike<number>, p: ConvParams): number {
  const cout = w.length / colWidth(p);
  if (!Number.isInteger(cout)) throw new Error(`kernel of ${w.length} values is not (${p.kernelH}, ${p.kernelW}, ${p.channels}, COUT)`);
  return cout;
}

/**
 * Direct convolution, no im2col: y[n, oh, ow, o] = bias[o] + Σ_{kh, kw, c} x[n, h, w, c]·w[kh, kw, c, o]
 * with h = oh*SH - padTop + kh*DH, w = ow*SW - padLeft + kw*DW (DH, DW: the dilation, default
 * 1), skipping taps in the padding.
 * `bias` may be null (use_bias=False).
 */
export function conv2dRef(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, p: ConvParams): Float64Array {
  const { batch, height, width, channels, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW } = p;
  const [dilationH, dilationW] = [p.dilationH ?? 1, p.dilationW ?? 1];
  const cout = filterCount(w, p);
  const y = new Float64Array(batch * outH * outW * cout);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const yBase = ((n * outH + oh) * outW + ow) * cout;
        for (let o = 0; o < cout; o++) {
          let sum = bias ? bias[o] : 0;
          for (let kh = 0; kh < kernelH; kh++) {
            const h = oh * strideH - padTop + kh * dilationH;
            if (h < 0 || h >= height) continue;
            for (let kw = 0; kw < kernelW; kw++) {
              const ww = ow * strideW - padLeft + kw * dilationW;
              if (ww < 0 || ww >= width) continue;
              for (let c = 0; c < channels; c++) {
                sum += x[((n * height + h) * width + ww) * channels + c] * w[((kh * kernelW + kw) * channels + c) * cout + o];
              }
            }
          }
          y[yBase + o] = sum;
        }
      }
    }
  }
  return y;
}

/**
 * Gradients of conv2dRef given dY: (N, OH, OW, COUT), computed directly (no im2col):
 *   dX: (N, H, W, C)   dW: (KH, KW, C, COUT)   dB: (COUT)
 */
export function conv2dBackwardRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  dY: ArrayLike<number>,
  p: ConvParams,
): { dX: Float64Array; dW: Float64Array; dB: Float64Array } {
  const { batch, height, width, channels, kernelH, kernelW, strideH, strideW, padTop, padLeft, outH, outW } = p;
  const [dilationH, dilationW] = [p.dilationH ?? 1, p.dilationW ?? 1];
  const cout = filterCount(w, p);
  const dX = new Float64Array(x.length);
  const dW = new Float64Array(w.length);
  const dB = new Float64Array(cout);
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const yBase = ((n * outH + oh) * outW + ow) * cout;
        for (let o = 0; o < cout; o++) {
          const g = dY[yBase + o];
          dB[o] += g;
          for (let kh = 0; kh < kernelH; kh++) {
            const h = oh * strideH - padTop + kh * dilationH;
            if (h < 0 || h >= height) continue;
            for (let kw = 0; kw < kernelW; kw++) {
              const ww = ow * strideW - padLeft + kw * dilationW;
              if (ww < 0 || ww >= width) continue;
              for (let c = 0; c < channels; c++) {
                const xIndex = ((n * height + h) * width + ww) * channels + c;
                const wIndex = ((kh * kernelW + kw) * channels + c) * cout + o;
                dX[xIndex] += g * w[wIndex];
                dW[wIndex] += g * x[xIndex];
              }
            }
          }
        }
      }
    }
  }
  return { dX, dW, dB };
}
