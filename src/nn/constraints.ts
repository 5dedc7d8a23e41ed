/**
 * Keras' weight constraints on Dense and Conv2D kernels and biases (`kernelConstraint`,
 * `biasConstraint`): NonNeg, MaxNorm, UnitNorm, MinMaxNorm, projected after each optimizer
 * update (src/kernels/constrain.ts). The norm constraints take their norm over `axis`; the
 * engine implements the axes that mean "each output unit's incoming weights": every axis but the
 * last (a Dense kernel's 0, a Conv2D kernel's [0, 1, 2]), or a bias's 0.
 */
import type { Constraint } from '../kernels/constrain.js';

export type { Constraint };

/** A constraint as layers take it: Keras' name (defaults included) or the object; a norm's axis defaults to every axis but the last. */
export type ConstraintArg =
  | 'nonNeg'
  | 'maxNorm'
  | 'unitNorm'
  | 'minMaxNorm'
  | { kind: 'nonNeg' }
  | { kind: 'maxNorm'; maxValue?: number; axis?: number | number[] }
  | { kind: 'unitNorm'; axis?: number | number[] }
  | { kind: 'minMaxNorm'; minValue?: number; maxValue?: number; rate?: number; axis?: number | number[] };

type AxisOptional<C> = C extends { axis: unknown } ? Omit<C, 'axis'> & { axis?: number | number[] } : C;

/** A constraint whose axis may still be the default (undefined): resolved when the weight's rank is known. */
export type ConstraintSpec = AxisOptional<Constraint>;

/** Keras 3's defaults (keras/src/constraints/constraints.py). */
const DEFAULTS = {
  nonNeg: {},
  maxNorm: { maxValue: 2 },
  unitNorm: {},
  minMaxNorm: { minValue: 0, maxValue: 1, rate: 1 },
} as const;

const ARGUMENTS: Record<Constraint['kind'], string[]> = {
  nonNeg: [],
  maxNorm: ['maxValue', 'axis'],
  unitNorm: ['axis'],
  minMaxNorm: ['minValue', 'maxValue', 'rate', 'axis'],
};

/** Checks a constraint argument (`where`: "Dense: kernelConstraint"); fills in Keras' defaults but the axis. */
export function checkConstraint(where: string, value: unknown): ConstraintSpec {
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  const kinds = Object.keys(DEFAULTS).join(', ');
  const given = typeof value === 'string' ? { kind: value } : value;
  if (typeof given !== 'object' || given === null || !Object.hasOwn(DEFAULTS, (given as { kind?: unknown }).kind as string)) {
    return fail(`expected one of ${kinds} or { kind, ... }, got ${JSON.stringify(value)}`);
  }
  const kind = (given as { kind: Constraint['kind'] }).kind;
  for (const key of Object.keys(given)) if (key !== 'kind' && !ARGUMENTS[kind].includes(key)) fail(`${kind} has no argument '${key}' (it takes ${ARGUMENTS[kind].join(', ') || 'none'})`);
  const c = { ...DEFAULTS[kind], ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as Record<string, unknown>;
  for (const key of ['maxValue', 'minValue', 'rate'].filter((k) => k in c)) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) fail(`${kind} ${key} must be a finite number ≥ 0, got ${JSON.stringify(v)}`);
  }
  if (kind === 'minMaxNorm' && !((c.minValue as number) <= (c.maxValue as number))) fail(`minMaxNorm minValue (${c.minValue}) must not exceed maxValue (${c.maxValue})`);
  if (kind === 'minMaxNorm' && (c.rate as number) > 1) fail(`minMaxNorm rate must be in [0, 1], got ${c.rate}`);
  if (c.axis !== undefined) axes(c.axis, (why) => fail(`${kind} axis ${why}`));
  return c as ConstraintSpec;
}

/**
 * The constraint for a weight of `shape`: the default axis filled in (every axis but the last;
 * Keras writes 0 for a rank of 1 or 2), or a given one checked against what the engine implements.
 */
export function constraintFor(where: string, spec: ConstraintSpec, shape: readonly number[]): Constraint {
  if (spec.kind === 'nonNeg') return spec;
  const rank = shape.length;
  const wanted = rank === 1 ? [0] : Array.from({ length: rank - 1 }, (_, i) => i);
  if (spec.axis === undefined) return { ...spec, axis: wanted.length === 1 ? 0 : wanted } as Constraint;
  const given = axes(spec.axis, (why) => {
    throw new Error(`${where}: ${spec.kind} axis ${why}`);
  }).map((a) => (a < 0 ? a + rank : a));
  const unique = [...new Set(given)].sort((a, b) => a - b);
  const same = unique.length === wanted.length && unique.every((a, i) => a === wanted[i]);
  if (!same) {
    throw new Error(
      `${where}: ${spec.kind} over axis ${JSON.stringify(spec.axis)} of a weight of shape [${shape}] is not supported: ` +
        `the engine takes the norm over ${JSON.stringify(wanted.length === 1 ? wanted[0] : wanted)} (each output unit's incoming weights)`,
    );
  }
  return spec as Constraint;
}

function axes(axis: unknown, fail: (why: string) => never): number[] {
  const list = typeof axis === 'number' ? [axis] : axis;
  if (!Array.isArray(list) || list.length === 0 || !list.every((a) => Number.isInteger(a))) return fail(`must be an integer or a list of integers, got ${JSON.stringify(axis)}`);
  return list as number[];
}

/** The (rows, cols) a weight of `shape` is constrained as: the norm runs down each column. */
export function constraintShape(shape: readonly number[]): { rows: number; cols: number } {
  const elements = shape.reduce((a, b) => a * b, 1);
  if (shape.length === 1) return { rows: elements, cols: 1 };
  const cols = shape[shape.length - 1];
  return { rows: elements / cols, cols };
}
