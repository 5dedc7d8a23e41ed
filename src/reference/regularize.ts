/** Float64 references for the weight regularizers: the penalty and its gradient. */
import type { Regularizer } from '../kernels/regularize.js';

/** l1·Σ|w| + l2·Σw². */
export function penaltyRef(w: ArrayLike<number>, r: Regularizer): number {
  let sum = 0;
  for (let i = 0; i < w.length; i++) sum += r.l1 * Math.abs(w[i]) + r.l2 * w[i] * w[i];
  return sum;
}

/** grads + l1·sign(w) + 2·l2·w (sign(0) = 0). */
export function regularizeGradientRef(w: ArrayLike<number>, grads: ArrayLike<number>, r: Regularizer): Float64Array {
  return Float64Array.from(grads, (g, i) => g + r.l1 * Math.sign(w[i]) + 2 * r.l2 * w[i]);
}
