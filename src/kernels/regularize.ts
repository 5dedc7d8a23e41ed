/** Weight regularizers (src/nn/regularizers.ts) on one weight tensor: the gradient term and the penalty added to the loss. */
import code from '../../shaders/regularize.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';

/** A penalty l1·Σ|w| + l2·Σw² on a weight tensor (src/nn/regularizers.ts: Keras' L1, L2, L1L2). */
export interface Regularizer {
  l1: number;
  l2: number;
}

/** The shader's workgroup size (a constant there: it sizes the partial sums' workgroup array). */
const WG = 256;

/** grads += l1·sign(w) + 2·l2·w over `count` elements. */
export function regularizeGradient(device: Device, count: number, r: Regularizer, io: { w: Binding; grads: Binding }): Promise<Dispatch> {
  return createDispatch(device, { label: 'regularizer gradient', code, entryPoint: 'gradient', constants: { COUNT: count, L1: r.l1, L2: r.l2 } }, [io.w, io.grads], grid(count, WG));
}

/** metrics[0] += batch · (l1·Σ|w| + l2·Σw²): the penalty in the running loss sum, once per sample as the loss kernel counts. */
export async function regularizationPenalty(device: Device, count: number, r: Regularizer, batch: number, io: { w: Binding; metrics: Binding }, scratch: Scratch): Promise<Dispatch[]> {
  const partials = scratch(`penalty partials`, partialCount(count) * 4);
  return [
    await penaltyPartials(device, count, r, { w: io.w, partials }),
    await createDispatch(device, { label: 'regularizer penalty', code, entryPoint: 'penalty', constants: { ...penaltyConstants(count, r), BATCH: batch } }, [partials, io.metrics], [1]),
  ];
}

/**
 * The number of partial sums penaltyPartials writes for `count` values: one per workgroup, as
 * many workgroups as it takes to give each invocation work, up to one workgroup's worth, so
 * that one workgroup can sum them after.
 */
export function partialCount(count: number): number {
  return Math.min(WG, Math.ceil(count / WG));
}

/** partials: (partials) partial sums of l1·|w| + l2·w² over `count` values, by as many workgroups (1 to WG of them). */
export function penaltyPartials(device: Device, count: number, r: Regularizer, io: { w: Binding; partials: Binding }, partials = partialCount(count)): Promise<Dispatch> {
  if (!(Number.isInteger(partials) && partials >= 1 && partials <= WG)) throw new Error(`penalty partial sums: 1 to ${WG} of them, got ${partials}`);
  return createDispatch(device, { label: 'regularizer partial sums', code, entryPoint: 'partials', constants: penaltyConstants(count, r, partials) }, [io.w, io.partials], [partials]);
}

function penaltyConstants(count: number, r: Regularizer, partials = partialCount(count)): Record<string, number> {
  return { COUNT: count, L1: r.l1, L2: r.l2, PARTIALS: partials };
}
