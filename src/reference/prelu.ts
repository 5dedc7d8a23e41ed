/** Float64 reference for PReLU (Keras' relu(x) − alpha·relu(−x)), forward and backward. */

/** y = x > 0 ? x : alpha[i % alphas]·x. */
export function preluRef(x: ArrayLike<number>, alpha: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => (v > 0 ? v : alpha[i % alpha.length] * v));
}

/** dX = x > 0 ? dY : alpha·dY (0 at x = 0, where relu's derivative is 0); dAlpha = Σ x·dY over x < 0, per alpha. */
export function preluBackwardRef(x: ArrayLike<number>, alpha: ArrayLike<number>, dY: ArrayLike<number>): { dX: Float64Array; dAlpha: Float64Array } {
  const dAlpha = new Float64Array(alpha.length);
  const dX = Float64Array.from(x, (v, i) => {
    const j = i % alpha.length;
    if (v < 0) dAlpha[j] += v * dY[i];
    return v > 0 ? dY[i] : v < 0 ? alpha[j] * dY[i] : 0;
  });
  return { dX, dAlpha };
}
