/**
 * Keras' weight regularizers (L1, L2, L1L2) on Dense and Conv2D kernels and biases: a penalty
 * l1·Σ|w| + l2·Σw² per weight tensor, added to the loss in training and evaluation (as Keras
 * reports its loss), and its gradient l1·sign(w) + 2·l2·w, added to the weight's gradient
 * before the optimizer's update (src/kernels/regularize.ts; the step compiler records both).
 * Keras' activity_regularizer takes the same regularizers on a layer's output (the step
 * compiler records its penalty, r(y) / batch as Keras 3 adds it, and its gradient).
 */
import type { Regularizer } from '../kernels/regularize.js';

export type { Regularizer };

/** What Dense and Conv2D take: { l1, l2 } (a factor left out is 0, as Keras' L1L2), or Keras' names 'l1', 'l2', 'l1_l2' (factors 0.01). */
export type RegularizerArg = { l1?: number; l2?: number } | 'l1' | 'l2' | 'l1_l2';

const NAMED: Record<string, Regularizer> = { l1: { l1: 0.01, l2: 0 }, l2: { l1: 0, l2: 0.01 }, l1_l2: { l1: 0.01, l2: 0.01 } };

/** The regularizer an argument gives (undefined: none); `where` names the layer and argument in errors. */
export function checkRegularizer(where: string, value: unknown): Regularizer | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    if (Object.hasOwn(NAMED, value)) return { ...NAMED[value] };
    throw new Error(`${where}: unknown regularizer '${value}' (give l1, l2, l1_l2 or { l1, l2 })`);
  }
  if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where}: expected { l1, l2 } or a name (l1, l2, l1_l2), got ${JSON.stringify(value)}`);
  const unknown = Object.keys(value).filter((k) => k !== 'l1' && k !== 'l2');
  if (unknown.length > 0) throw new Error(`${where}: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (a regularizer has l1 and l2)`);
  const factor = (key: 'l1' | 'l2') => {
    const v = (value as Record<string, unknown>)[key] ?? 0;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${where}: ${key} must be a finite number ≥ 0, got ${JSON.stringify(v)}`);
    return v;
  };
  return { l1: factor('l1'), l2: factor('l2') };
}

/** True when the regularizer adds anything (both factors 0 is Keras' L1L2 default: no penalty). */
export function penalizes(r: Regularizer | undefined): r is Regularizer {
  return r !== undefined && (r.l1 > 0 || r.l2 > 0);
}
