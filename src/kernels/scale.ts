/** Rescaling's kernel: y = x · scale + offset element-wise, and its backward dX = dY · scale. */
import code from '../../shaders/scale.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

const WG = 256;

function scaleDispatch(device: Device, label: string, count: number, scale: number, offset: number, bindings: [input: Binding, output: Binding]): Promise<Dispatch> {
  return createDispatch(device, { label, code, entryPoint: 'scale', constants: { COUNT: count, WG, SCALE: scale, OFFSET: offset } }, bindings, grid(count, WG));
}

/** y = x · scale + offset over `count` elements (rounded once, by a fused multiply-add). */
export function scaleForward(device: Device, count: number, scale: number, offset: number, io: { x: Binding; y: Binding }): Promise<Dispatch> {
  return scaleDispatch(device, 'rescaling forward', count, scale, offset, [io.x, io.y]);
}

/** dX = dY · scale over `count` elements. */
export function scaleBackward(device: Device, count: number, scale: number, io: { dY: Binding; dX: Binding }): Promise<Dispatch> {
  return scaleDispatch(device, 'rescaling backward', count, scale, 0, [io.dY, io.dX]);
}
