/**
 * Depthwise convolution (Keras' DepthwiseConv2D), forward and backward, computed directly
 * (shaders/depthwise.wgsl): each input channel has its own `depthMultiplier` filters, so there
 * is no shared inner dimension for a matmul to gain from. The window geometry is Conv2D's
 * (src/kernels/window.ts).
 */
import depthwiseCode from '../../shaders/depthwise.wgsl';
import windowCode from '../../shaders/window.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';
import { columnSum } from './column-sum.js';
import { windowConstants, type WindowParams } from './window.js';

const code = `${depthwiseCode}\n${windowCode}`;
const WG = 256;
/** Output pixels each kernel-gradient invocation sums: long enough to amortise, short enough to spread. */
const ROWS_PER_CHUNK = 128;

/** The window geometry with the depth multiplier: output channels = channels · depthMultiplier. */
export type DepthwiseParams = WindowParams & { depthMultiplier: number };

function constants(p: DepthwiseParams, extra: Record<string, number> = {}): Record<string, number> {
  return { ...windowConstants(p, WG), DM: p.depthMultiplier, ...extra };
}

/** y = depthwise(x, K) (+ bias).   x: (N, H, W, C)   kernel: (KH, KW, C, DM)   bias: (C·DM)   y: (N, OH, OW, C·DM) */
export function depthwiseForward(device: Device, p: DepthwiseParams, io: { x: Binding; kernel: Binding; bias?: Binding; y: Binding }): Promise<Dispatch> {
  const count = p.batch * p.outH * p.outW * p.channels * p.depthMultiplier;
  // Without a bias, x stands in for it (not read).
  return createDispatch(device, { label: 'depthwise forward', code, entryPoint: 'forward', constants: constants(p, { HAS_BIAS: io.bias ? 1 : 0 }) }, [io.x, io.kernel, io.bias ?? io.x, io.y], grid(count, WG));
}

/** dX (N, H, W, C) from dZ (N, OH, OW, C·DM) and the kernel (KH, KW, C, DM). */
export function depthwiseInputGradient(device: Device, p: DepthwiseParams, io: { dZ: Binding; kernel: Binding; dX: Binding }): Promise<Dispatch> {
  const count = p.batch * p.height * p.width * p.channels;
  return createDispatch(device, { label: 'depthwise input gradient', code, entryPoint: 'inputGradient', constants: constants(p) }, [undefined, io.kernel, undefined, io.dX, io.dZ], grid(count, WG));
}

/**
 * dK (KH, KW, C, DM) from x and dZ: per chunk of ROWS_PER_CHUNK output pixels, partial sums into
 * a scratch buffer (chunks, KH·KW·C·DM) taken from `scratch` once, then their column sums.
 */
export async function depthwiseKernelGradient(device: Device, p: DepthwiseParams, io: { x: Binding; dZ: Binding; dKernel: Binding }, scratch: Scratch): Promise<Dispatch[]> {
  const taps = p.kernelH * p.kernelW * p.channels * p.depthMultiplier;
  const chunks = Math.ceil((p.batch * p.outH * p.outW) / ROWS_PER_CHUNK);
  const partials = scratch(`depthwise kernel gradient partials ${chunks}×${taps}`, chunks * taps * 4);
  return [
    await createDispatch(
      device,
      { label: 'depthwise kernel gradient', code, entryPoint: 'kernelPartials', constants: constants(p, { ROWS_PER_CHUNK, CHUNKS: chunks }) },
      [io.x, undefined, undefined, partials, io.dZ],
      grid(chunks * taps, WG),
    ),
    ...(await columnSum(device, { rows: chunks, cols: taps }, { x: partials, out: io.dKernel }, scratch)),
  ];
}
