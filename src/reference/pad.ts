/** Float64 reference for the window copy of zero padding and cropping (shaders/pad.wgsl). */
import type { ShiftParams } from '../kernels/pad.js';

/** Output (batch, outH, outW, channels): pixel (i, j) is input pixel (i − top, j − left), 0 outside. */
export function shiftWindowRef(x: ArrayLike<number>, p: ShiftParams): Float64Array {
  const y = new Float64Array(p.batch * p.outH * p.outW * p.channels);
  for (let n = 0; n < p.batch; n++) {
    for (let i = 0; i < p.outH; i++) {
      for (let j = 0; j < p.outW; j++) {
        const si = i - p.top;
        const sj = j - p.left;
        if (si < 0 || si >= p.inH || sj < 0 || sj >= p.inW) continue;
        for (let c = 0; c < p.channels; c++) y[((n * p.outH + i) * p.outW + j) * p.channels + c] = x[((n * p.inH + si) * p.inW + sj) * p.channels + c];
      }
    }
  }
  return y;
}
