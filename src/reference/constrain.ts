/** Float64 reference for Keras' weight constraints (keras/src/constraints/constraints.py). */
import type { Constraint } from '../kernels/constrain.js';

/** Keras' backend epsilon. */
const EPSILON = 1e-7;

/** w: (rows, cols), row-major; NonNeg element-wise, a norm constraint per column over its rows. */
export function constrainRef(c: Constraint, w: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = Float64Array.from(w);
  if (c.kind === 'nonNeg') return out.map((v) => (v >= 0 ? v : 0));
  for (let j = 0; j < cols; j++) {
    let squares = 0;
    for (let i = 0; i < rows; i++) squares += out[i * cols + j] ** 2;
    const n = Math.sqrt(squares);
    let desired: number;
    if (c.kind === 'maxNorm') desired = Math.min(Math.max(n, 0), c.maxValue);
    else if (c.kind === 'unitNorm') desired = 1;
    else desired = c.rate * Math.min(Math.max(n, c.minValue), c.maxValue) + (1 - c.rate) * n;
    for (let i = 0; i < rows; i++) out[i * cols + j] *= desired / (EPSILON + n);
  }
  return out;
}
