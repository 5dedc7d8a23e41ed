/** Keras' gradient clipping (clipvalue, clipnorm, global_clipnorm) on gradients in place, before the optimizer's update. */
import code from '../../shaders/clip-gradient.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

/** The shader's workgroup size (a constant there: it sizes the norm's workgroup array). */
const WG = 256;

/** g = clamp(g, −clip, clip) over `count` values. */
export function clipByValue(device: Device, count: number, clip: number, io: { g: Binding }): Promise<Dispatch> {
  return createDispatch(device, { label: 'clip gradient by value', code, entryPoint: 'byValue', constants: { COUNT: count, CLIP: clip } }, [io.g], grid(count, WG));
}

/** g *= clip / max(‖g‖, clip) over `count` values: one weight's gradient, or all of them. */
export function clipByNorm(device: Device, count: number, clip: number, io: { g: Binding }): Promise<Dispatch> {
  return createDispatch(device, { label: 'clip gradient by norm', code, entryPoint: 'byNorm', constants: { COUNT: count, CLIP: clip } }, [io.g], [1]);
}
