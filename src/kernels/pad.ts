/** Zero padding and cropping of NHWC images (ZeroPadding2D, Cropping2D, and their gradients): one window copy, shaders/pad.wgsl. */
import code from '../../shaders/pad.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

const WG = 256;

/**
 * An image's geometry through the copy: output pixel (i, j) is input pixel (i − top, j − left),
 * 0 outside the input; top and left are negative for a crop.
 */
export interface ShiftParams {
  batch: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  channels: number;
  top: number;
  left: number;
}

/** output (batch, outH, outW, channels) from input (batch, inH, inW, channels). */
export function shiftWindow(device: Device, p: ShiftParams, io: { input: Binding; output: Binding }, label: string): Promise<Dispatch> {
  const constants = { BATCH: p.batch, IN_H: p.inH, IN_W: p.inW, OUT_H: p.outH, OUT_W: p.outW, CHANNELS: p.channels, TOP: p.top, LEFT: p.left, WG };
  return createDispatch(device, { label, code, entryPoint: 'shift', constants }, [io.input, io.output], grid(p.batch * p.outH * p.outW * p.channels, WG));
}

/** The same copy backwards: the gradient at the input from the gradient at the output. */
export function shiftWindowBackward(p: ShiftParams): ShiftParams {
  return { batch: p.batch, inH: p.outH, inW: p.outW, outH: p.inH, outW: p.inW, channels: p.channels, top: -p.top, left: -p.left };
}
