/** Float64 references for the element-wise activations. */
import { LEAKY_RELU_SLOPE, type Activation } from '../kernels/activation.js';

export function activate(kind: Activation, v: number, negativeSlope = LEAKY_RELU_SLOPE): number {
  switch (kind) {
    case 'relu': return Math.max(v, 0);
    case 'leaky_relu': return v > 0 ? v : negativeSlope * v;
    case 'sigmoid': return 1 / (1 + Math.exp(-v));
    case 'tanh': return Math.tanh(v);
    case 'linear': return v;
  }
}

/** f'(x) expressed through y = f(x), as the GPU kernel computes it. */
export function activationSlope(kind: Activation, y: number, negativeSlope = LEAKY_RELU_SLOPE): number {
  switch (kind) {
    case 'relu': return y > 0 ? 1 : 0;
    case 'leaky_relu': return y > 0 ? 1 : negativeSlope;
    case 'sigmoid': return y * (1 - y);
    case 'tanh': return 1 - y * y;
    case 'linear': return 1;
  }
}

export function activationForwardRef(kind: Activation, x: ArrayLike<number>, negativeSlope = LEAKY_RELU_SLOPE): Float64Array {
  return Float64Array.from(x, (v) => activate(kind, v, negativeSlope));
}

export function activationBackwardRef(kind: Activation, y: ArrayLike<number>, dY: ArrayLike<number>, negativeSlope = LEAKY_RELU_SLOPE): Float64Array {
  return Float64Array.from(y, (v, i) => dY[i] * activationSlope(kind, v, negativeSlope));
}
