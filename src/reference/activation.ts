/** Float64 references for the element-wise activations. */
import { LEAKY_RELU_SLOPE, type Activation } from '../kernels/activation.js';

/** SELU's constants (Klambauer et al. 2017, as Keras has them). */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const softplus = (v: number) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)));

/**
 * erfc(z) in float64 to about 1e-14: for |z| < 2.5 as 1 − erf(z) by erf's Taylor series (its
 * largest term there is under 100, so cancellation costs two digits), beyond by the continued
 * fraction erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), evaluated from
 * its 60th level up, for z ≥ 2.5 (and erfc(−z) = 2 − erfc(z)).
 */
export function erfc(z: number): number {
  if (z <= -2.5) return 2 - erfc(-z);
  if (z < 2.5) {
    let term = z; // (−1)^n z^(2n+1) / n!
    let sum = z;
    for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum) || n < 3; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let fraction = z;
  for (let k = 60; k >= 1; k--) fraction = z + k / 2 / fraction;
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / fraction;
}

/** Φ(x), the standard normal CDF. */
const normalCdf = (x: number) => erfc(-x / Math.SQRT2) / 2;

export function activate(kind: Activation, v: number, negativeSlope = LEAKY_RELU_SLOPE): number {
  switch (kind) {
    case 'relu': return Math.max(v, 0);
    case 'leaky_relu': return v > 0 ? v : negativeSlope * v;
    case 'sigmoid': return sigmoid(v);
    case 'tanh': return Math.tanh(v);
    case 'elu': return v > 0 ? v : Math.expm1(v);
    case 'selu': return SELU_SCALE * (v > 0 ? v : SELU_ALPHA * Math.expm1(v));
    case 'softplus': return softplus(v);
    case 'swish': return v * sigmoid(v);
    case 'gelu': return v * normalCdf(v);
    case 'relu6': return Math.min(Math.max(v, 0), 6);
    case 'softsign': return v / (1 + Math.abs(v));
    case 'mish': return v * Math.tanh(softplus(v));
    case 'linear': return v;
  }
}

/**
 * f'(x) expressed through what the GPU kernel's backward reads (backwardReads): the output
 * y = f(x), or for swish, gelu and mish the input x.
 */
export function activationSlope(kind: Activation, saved: number, negativeSlope = LEAKY_RELU_SLOPE): number {
  const y = saved;
  switch (kind) {
    case 'relu': return y > 0 ? 1 : 0;
    case 'leaky_relu': return y > 0 ? 1 : negativeSlope;
    case 'sigmoid': return y * (1 - y);
    case 'tanh': return 1 - y * y;
    case 'elu': return y > 0 ? 1 : y + 1;
    case 'selu': return y > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
    case 'softplus': return -Math.expm1(-y); // σ(x) = 1 − e^−y
    case 'swish': {
      const x = saved;
      const s = sigmoid(x);
      return s * (1 + x * (1 - s));
    }
    case 'gelu': {
      const x = saved;
      return normalCdf(x) + (x * Math.exp((-x * x) / 2)) / Math.sqrt(2 * Math.PI);
    }
    case 'relu6': return y > 0 && y < 6 ? 1 : 0;
    case 'softsign': return (1 - Math.abs(y)) ** 2;
    case 'mish': {
      const x = saved;
      const t = Math.tanh(softplus(x));
      return t + x * sigmoid(x) * (1 - t * t);
    }
    case 'linear': return 1;
  }
}

export function activationForwardRef(kind: Activation, x: ArrayLike<number>, negativeSlope = LEAKY_RELU_SLOPE): Float64Array {
  return Float64Array.from(x, (v) => activate(kind, v, negativeSlope));
}

/** dX from what the backward reads (`saved`: y, or x for swish) and dY. */
export function activationBackwardRef(kind: Activation, saved: ArrayLike<number>, dY: ArrayLike<number>, negativeSlope = LEAKY_RELU_SLOPE): Float64Array {
  return Float64Array.from(saved, (v, i) => dY[i] * activationSlope(kind, v, negativeSlope));
}
