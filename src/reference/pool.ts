/**
 * Float64 references for 2-D max and average pooling over NHWC, forward and backward.
 * The backward passes scatter (each output adds to its inputs), the transpose of the GPU's
 * gather, so the two check each other.
 *   x, dX: (N, H, W, C)   y, dY, argmax: (N, OH, OW, C)
 */
import { NO_INDEX, type PoolParams } from '../kernels/pool.js';

/**
 * Calls `visit(outIndex, inputs)` for every output element with the flat indices into x of the
 * input elements its window pools (padding cells excluded), in (h, w) order.
 */
function forEachWindow(p: PoolParams, visit: (outIndex: number, inputs: number[]) => void): void {
  const { batch, height, width, channels, poolH, poolW, strideH, strideW, padTop, padLeft, outH, outW } = p;
  for (let n = 0; n < batch; n++) {
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        for (let c = 0; c < channels; c++) {
          const inputs: number[] = [];
          for (let ph = 0; ph < poolH; ph++) {
            const h = oh * strideH - padTop + ph;
            if (h < 0 || h >= height) continue;
            for (let pw = 0; pw < poolW; pw++) {
              const w = ow * strideW - padLeft + pw;
              if (w < 0 || w >= width) continue;
              inputs.push(((n * height + h) * width + w) * channels + c);
            }
          }
          visit(((n * outH + oh) * outW + ow) * channels + c, inputs);
        }
      }
    }
  }
}

const outputCount = (p: PoolParams) => p.batch * p.outH * p.outW * p.channels;
const inputCount = (p: PoolParams) => p.batch * p.height * p.width * p.channels;

/**
 * y = window maximum; argmax = its flat index into x (first in (h, w) order on ties), or
 * NO_INDEX where `reluInput` and the maximum is ≤ 0 (the fused ReLU backward cuts that gradient).
 */
export function maxPoolForwardRef(x: ArrayLike<number>, p: PoolParams, reluInput = false): { y: Float64Array; argmax: Uint32Array } {
  const y = new Float64Array(outputCount(p));
  const argmax = new Uint32Array(outputCount(p));
  forEachWindow(p, (o, inputs) => {
    let best = inputs[0];
    for (const i of inputs) if (x[i] > x[best]) best = i;
    y[o] = x[best];
    argmax[o] = reluInput && x[best] <= 0 ? NO_INDEX : best;
  });
  return { y, argmax };
}

/** dX: each dY[o] added to x's element argmax[o] (none for NO_INDEX); 0 elsewhere. */
export function maxPoolBackwardRef(dY: ArrayLike<number>, argmax: ArrayLike<number>, p: PoolParams): Float64Array {
  const dX = new Float64Array(inputCount(p));
  for (let o = 0; o < outputCount(p); o++) if (argmax[o] !== NO_INDEX) dX[argmax[o]] += dY[o];
  return dX;
}

/** y = mean over the window's input pixels (padding not counted, as in Keras). */
export function avgPoolForwardRef(x: ArrayLike<number>, p: PoolParams): Float64Array {
  const y = new Float64Array(outputCount(p));
  forEachWindow(p, (o, inputs) => {
    let sum = 0;
    for (const i of inputs) sum += x[i];
    y[o] = sum / inputs.length;
  });
  return y;
}

/** dX: each dY[o] / (window size) added to every input of window o. */
export function avgPoolBackwardRef(dY: ArrayLike<number>, p: PoolParams): Float64Array {
  const dX = new Float64Array(inputCount(p));
  forEachWindow(p, (o, inputs) => {
    for (const i of inputs) dX[i] += dY[o] / inputs.length;
  });
  return dX;
}
