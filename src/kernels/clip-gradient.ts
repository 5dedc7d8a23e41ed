/** Keras' gradient clipping (clipvalue, clipnorm, global_clipnorm) on gradients in place, before the optimizer's update. */
import code from '../../shaders/clip-gradient.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';
import { partialCount, penaltyPartials } from './regularize.js';

/** The shader's workgroup size (a constant there: it sizes the norm scale's workgroup array). */
const WG = 256;

/** g = clamp(g, −clip, clip) over `count` values. */
export function clipByValue(device: Device, count: number, clip: number, io: { g: Binding }): Promise<Dispatch> {
  return createDispatch(device, { label: 'clip gradient by value', code, entryPoint: 'byValue', constants: { COUNT: count, CLIP: clip } }, [io.g], grid(count, WG));
}

/**
 * g *= clip / max(‖g‖, clip) over `count` values: one weight's gradient, or all of them. Three
 * dispatches: partial sums of squares into a scratch buffer (PARTIALS + 1) taken from `scratch`
 * once, the scale from them, the scaling.
 */
export async function clipByNorm(
  device: Device,
  count: number,
  clip: number,
  io: { g: Binding },
  scratch: Scratch,
  /** Partial sums (workgroups) of the first pass; forcing 1, one workgroup over all, is for the bench. */
  partials = partialCount(count),
): Promise<Dispatch[]> {
  const sums = scratch('clip by norm sums', (partials + 1) * 4);
  const constants = { COUNT: count, CLIP: clip, PARTIALS: partials };
  return [
    await penaltyPartials(device, count, { l1: 0, l2: 1 }, { w: io.g, partials: { buffer: sums, offset: 0, size: partials * 4 } }, partials),
    await createDispatch(device, { label: 'clip gradient norm scale', code, entryPoint: 'normScale', constants }, [undefined, sums], [1]),
    await createDispatch(device, { label: 'clip gradient by norm', code, entryPoint: 'byNorm', constants }, [io.g, sums], grid(count, WG)),
  ];
}
