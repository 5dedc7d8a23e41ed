/** Float64 references for the element-wise activations. */
import type { Activation } from '../kernels/activation.js';

export function activate(kind: Activation, v: number): number {
  switch (kind) {
    case 'relu': return Math.max(v, 0);
    case 'sigmoid': return 1 / (1 + Math.exp(-v));
    case 'tanh': return Math.tanh(v);
    case 'linear': return v;
  }
}

/** f'(x) expressed through y = f(x), as the GPU kernel computes it. */
export function activationSlope(kind: Activation, y: number): number {
  switch (kind) {
    case 'relu': return y > 0 ? 1 : 0;
    case 'sigmoid': return y * (1 - y);
    case 'tanh': return 1 - y * y;
    case 'linear': return 1;
  }
}

export function activationForwardRef(kind: Activation, x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => activate(kind, v));
}

export function activationBackwardRef(kind: Activation, y: ArrayLike<number>, dY: ArrayLike<number>): Float64Array {
  return Float64Array.from(y, (v, i) => dY[i] * activationSlope(kind, v));
}
