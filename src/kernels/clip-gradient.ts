/** Keras' gradient clipping (clipvalue, clipnorm, global_clipnorm) on gradients in place, before the optimizer's update. */
import clipCode from '../../shaders/clip-gradient.wgsl';
import partialSumsCode from '../../shaders/partial-sums.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';
import { partialCount, partialSums } from './partial-sums.js';

/** The shaders' workgroup size. */
const WG = 256;

const code = `${partialSumsCode}\n${clipCode}`;

/** g = clamp(g, −clip, clip) over `count` values. */
export function clipByValue(device: Device, count: number, clip: number, io: { g: Binding }): Promise<Dispatch> {
  return createDispatch(device, { label: 'clip gradient by value', code, entryPoint: 'byValue', constants: { COUNT: count, CLIP: clip } }, [io.g], grid(count, WG));
}

/**
 * g *= clip / max(‖g‖, clip) over `count` values: one weight's gradient, or all of them. Three
 * dispatches: partial sums of squares, the scale from them, the scaling; their scratch buffers,
 * (partials) and (1), are taken from `scratch` once.
 */
export async function clipByNorm(
  device: Device,
  count: number,
  clip: number,
  io: { g: Binding },
  scratch: Scratch,
  /** The first pass' partial sums; the bench forces other counts. */
  partials = partialCount(count),
): Promise<Dispatch[]> {
  const sums = scratch('clip by norm partial sums', partials * 4);
  const scale = scratch('clip by norm scale', 4);
  const constants = { COUNT: count, CLIP: clip, PARTIALS: partials };
  return [
    await partialSums(device, count, { l1: 0, l2: 1 }, { w: io.g, partials: sums }, partials),
    await createDispatch(device, { label: 'clip gradient norm scale', code, entryPoint: 'normScale', constants }, [sums, scale], [1]),
    await createDispatch(device, { label: 'clip gradient by norm', code, entryPoint: 'byNorm', constants }, [io.g, scale], grid(count, WG)),
  ];
}
