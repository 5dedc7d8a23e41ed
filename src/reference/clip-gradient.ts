/** Float64 reference for Keras' gradient clipping (keras/src/optimizers/base_optimizer.py). */

export function clipByValueRef(g: ArrayLike<number>, clip: number): Float64Array {
  return Float64Array.from(g, (v) => Math.min(Math.max(v, -clip), clip));
}

/** g·clip / max(‖g‖, clip): Keras' clip_by_norm (and, over every gradient at once, clip_by_global_norm). */
export function clipByNormRef(g: ArrayLike<number>, clip: number): Float64Array {
  let squares = 0;
  for (let i = 0; i < g.length; i++) squares += g[i] * g[i];
  const scale = clip / Math.max(Math.sqrt(squares), clip);
  return Float64Array.from(g, (v) => v * scale);
}
