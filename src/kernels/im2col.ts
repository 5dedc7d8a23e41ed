/**
 * Convolution data movement: im2col (forward) and col2im (its adjoint, the backward to the
 * input); the output geometry is src/kernels/window.ts'. The convolution itself is a matmul:
 *   y = col × W        col: (N*OH*OW, KH*KW*C), W: HWIO (KH, KW, C, COUT) as (KH*KW*C, COUT)
 *   dW = colᵀ × dY,  dCol = dY × Wᵀ,  dX = col2im(dCol).
 */
import im2colCode from '../../shaders/im2col.wgsl';
import windowCode from '../../shaders/window.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import { channelChunk, windowConstants, withChunkBlock, type WindowParams } from './window.js';

// The kernel's text is its own file followed by the shared window helpers.
const code = `${im2colCode}\n${windowCode}`;

/** Everything an im2col/col2im dispatch needs (the window geometry with batch and channels). */
export type ConvParams = WindowParams;

const WG = 256;

const vec4Code = withChunkBlock(code, 'alias Chunk = vec4f;\nconst CHUNK = 4u;');

function shaderFor(p: ConvParams): string {
  return channelChunk(p.channels) === 4 ? vec4Code : code;
}

/**
 * col[(n*OH + oh)*OW + ow, (kh*KW + kw)*C + c] = x[n, oh*SH - padTop + kh, ow*SW - padLeft + kw, c],
 * 0 in the padding.
 *   x: (N, H, W, C)   col: (N*OH*OW, KH*KW*C)
 */
export function im2col(device: Device, p: ConvParams, io: { x: Binding; col: Binding }): Promise<Dispatch> {
  const values = p.batch * p.outH * p.outW * p.kernelH * p.kernelW * p.channels;
  // Channels one by one, but rows of col that split into fours: four values per invocation.
  const four = channelChunk(p.channels) === 1 && (p.kernelH * p.kernelW * p.channels) % 4 === 0;
  const perInvocation = four ? 4 : channelChunk(p.channels);
  return createDispatch(
    device,
    { label: 'im2col', code: shaderFor(p), entryPoint: four ? 'im2colFour' : 'im2col', constants: windowConstants(p, WG) },
    [io.x, io.col],
    grid(values / perInvocation, WG),
  );
}

/**
 * The adjoint of im2col: dX[n, h, w, c] = Σ dCol over every entry im2col copied from x[n, h, w, c].
 * Writes every element of dX (0 where no window reaches), so dX needs no clearing. With
 * `reluOutput` (x itself, the output of a ReLU), it also applies that ReLU's backward: dX = 0
 * where x ≤ 0.
 *   dCol: (N*OH*OW, KH*KW*C)   dX: (N, H, W, C)   reluOutput: (N, H, W, C)
 */
export function col2im(device: Device, p: ConvParams, io: { dCol: Binding; dX: Binding; reluOutput?: Binding }): Promise<Dispatch> {
  const chunks = (p.batch * p.height * p.width * p.channels) / channelChunk(p.channels);
  const masked = io.reluOutput !== undefined;
  return createDispatch(
    device,
    { label: masked ? 'col2im +relu backward' : 'col2im', code: shaderFor(p), entryPoint: masked ? 'col2imReluMasked' : 'col2im', constants: windowConstants(p, WG) },
    io.reluOutput ? [io.dCol, io.dX, io.reluOutput] : [io.dCol, io.dX],
    grid(chunks, WG),
  );
}
