/** Keras' weight constraints (src/nn/constraints.ts) on one weight tensor, after the optimizer's update. */
import code from '../../shaders/constrain.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

/**
 * Keras' NonNeg, MaxNorm, UnitNorm and MinMaxNorm. The norm constraints keep Keras' `axis` as
 * written (for the file); the kernel takes the norm over every axis but the last
 * (checkConstraintAxis in src/nn/constraints.ts refuses other axes).
 */
export type Constraint =
  | { kind: 'nonNeg' }
  | { kind: 'maxNorm'; maxValue: number; axis: number | number[] }
  | { kind: 'unitNorm'; axis: number | number[] }
  | { kind: 'minMaxNorm'; minValue: number; maxValue: number; rate: number; axis: number | number[] };

/** The shader's workgroup size (a constant there: it sizes the norm's workgroup array). */
const WG = 256;

/** w: (rows, cols), constrained in place: NonNeg element-wise, a norm constraint per column over its rows. */
export function constrain(device: Device, c: Constraint, { rows, cols }: { rows: number; cols: number }, io: { w: Binding }): Promise<Dispatch> {
  const label = `${c.kind} constraint`;
  if (c.kind === 'nonNeg') {
    return createDispatch(device, { label, code, entryPoint: 'nonNegative', constants: { ROWS: rows, COLS: cols } }, [io.w], grid(rows * cols, WG));
  }
  const [minNorm, maxNorm, rate] = c.kind === 'maxNorm' ? [0, c.maxValue, 1] : c.kind === 'unitNorm' ? [1, 1, 1] : [c.minValue, c.maxValue, c.rate];
  return createDispatch(
    device,
    { label, code, entryPoint: 'norm', constants: { ROWS: rows, COLS: cols, MIN_NORM: minNorm, MAX_NORM: maxNorm, RATE: rate } },
    [io.w],
    [cols],
  );
}
