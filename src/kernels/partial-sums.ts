/**
 * The first pass of a sum over a whole tensor (shaders/partial-sums.wgsl): partial sums of
 * l1·|w| + l2·w², one per invocation, which one workgroup then sums (the regularizer penalty,
 * clipping by norm).
 */
import code from '../../shaders/partial-sums.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, type Binding, type Dispatch } from '../runtime/dispatch.js';

/** The shader's workgroup size. */
const WG = 256;

/** Values each invocation sums, about: enough to amortise its store, few enough to fill a GPU. */
const VALUES_PER_PARTIAL = 16;
/** The most partial sums: the one workgroup that sums them reads at most 16 each. */
const MAX_PARTIALS = 16 * WG;

/** The number of partial sums partialSums writes for `count` values. */
export function partialCount(count: number): number {
  return Math.max(1, Math.min(MAX_PARTIALS, Math.ceil(count / VALUES_PER_PARTIAL)));
}

/**
 * partials[i] = Σ l1·|w[j]| + l2·w[j]² over j = i, i + partials, … < count.
 *   w: (count)   partials: (partials)
 * `partials` defaults to partialCount(count); the bench forces other counts.
 */
export function partialSums(
  device: Device,
  count: number,
  terms: { l1: number; l2: number },
  io: { w: Binding; partials: Binding },
  partials = partialCount(count),
): Promise<Dispatch> {
  if (!(Number.isInteger(partials) && partials >= 1)) throw new Error(`partial sums: a positive integer count of them, got ${partials}`);
  const constants = { COUNT: count, L1: terms.l1, L2: terms.l2, PARTIALS: partials };
  return createDispatch(device, { label: 'partial sums', code, entryPoint: 'partials', constants }, [io.w, io.partials], [Math.ceil(partials / WG)]);
}
