/**
 * Convolution data movement: Keras/TF output geometry, im2col (forward) and col2im (its
 * adjoint, the backward to the input). The convolution itself is a matmul:
 *   y = col × W        col: (N*OH*OW, KH*KW*C), W: HWIO (KH, KW, C, COUT) as (KH*KW*C, COUT)
 *   dW = colᵀ × dY,  dCol = dY × Wᵀ,  dX = col2im(dCol).
 */
import code from '../../shaders/im2col.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

export type Padding = 'valid' | 'same';

/** What a Conv2D layer knows about its spatial shape (Keras' kernel_size, strides, padding). */
export interface ConvSpec {
  height: number;
  width: number;
  kernelH: number;
  kernelW: number;
  strideH: number;
  strideW: number;
  padding: Padding;
}

/**
 * The spec plus what follows from it: the output size and the padding on each side.
 * `padBottom`/`padRight` are implied by the output size; they are given for the reader.
 */
export interface ConvGeometry extends ConvSpec {
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** A geometry with the batch and channel counts: everything an im2col/col2im dispatch needs. */
export type ConvParams = ConvGeometry & { batch: number; channels: number };

interface AxisGeometry {
  out: number;
  padBefore: number;
  padAfter: number;
}

/**
 * One spatial axis, following TF (and so Keras) exactly:
 *   'valid': out = floor((size - kernel) / stride) + 1, no padding;
 *   'same':  out = ceil(size / stride), total padding max((out-1)*stride + kernel - size, 0),
 *            floor(total/2) before and the rest (the odd extra one) after.
 */
function axisGeometry(what: string, size: number, kernel: number, stride: number, padding: Padding): AxisGeometry {
  for (const [name, value] of [['size', size], ['kernel', kernel], ['stride', stride]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${what}: ${name} must be a positive integer, got ${value}`);
  }
  if (padding === 'valid') {
    if (kernel > size) {
      throw new Error(`${what}: a window of ${kernel} does not fit an input of ${size} with padding 'valid'`);
    }
    return { out: Math.floor((size - kernel) / stride) + 1, padBefore: 0, padAfter: 0 };
  }
  if (padding !== 'same') throw new Error(`${what}: padding must be 'valid' or 'same', got ${String(padding)}`);
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  const padBefore = Math.floor(total / 2);
  return { out, padBefore, padAfter: total - padBefore };
}

/**
 * Output size and padding of a convolution (or pooling) window over an input, per Keras/TF.
 * `what` names the layer in error messages.
 */
export function convGeometry(spec: ConvSpec, what = 'convolution'): ConvGeometry {
  const rows = axisGeometry(`${what} height`, spec.height, spec.kernelH, spec.strideH, spec.padding);
  const cols = axisGeometry(`${what} width`, spec.width, spec.kernelW, spec.strideW, spec.padding);
  return {
    ...spec,
    outH: rows.out,
    outW: cols.out,
    padTop: rows.padBefore,
    padLeft: cols.padBefore,
    padBottom: rows.padAfter,
    padRight: cols.padAfter,
  };
}

const WG = 256;

/**
 * Channels per invocation for a channel count: 4 (as one vec4) when 4 divides the count, else 1.
 * For 4, the kernels swap their shader's scalar CHUNK block for its vec4 form (withChunkBlock).
 */
export function channelChunk(channels: number): 1 | 4 {
  return channels % 4 === 0 ? 4 : 1;
}

/** `code` with the block between `// BEGIN CHUNK` and `// END CHUNK` replaced by `block`. */
export function withChunkBlock(code: string, block: string): string {
  const marked = /\/\/ BEGIN CHUNK\n[\s\S]*?\/\/ END CHUNK\n/;
  if (!marked.test(code)) throw new Error('shader has no CHUNK block');
  return code.replace(marked, `// BEGIN CHUNK\n${block}\n// END CHUNK\n`);
}

const vec4Code = withChunkBlock(code, 'alias Chunk = vec4f;\nconst CHUNK = 4u;');

function shaderFor(p: ConvParams): string {
  return channelChunk(p.channels) === 4 ? vec4Code : code;
}

function shaderConstants(p: ConvParams): Record<string, number> {
  return {
    N: p.batch,
    H: p.height,
    W: p.width,
    C: p.channels,
    KH: p.kernelH,
    KW: p.kernelW,
    SH: p.strideH,
    SW: p.strideW,
    PAD_TOP: p.padTop,
    PAD_LEFT: p.padLeft,
    OH: p.outH,
    OW: p.outW,
    WG,
  };
}

/**
 * col[(n*OH + oh)*OW + ow, (kh*KW + kw)*C + c] = x[n, oh*SH - padTop + kh, ow*SW - padLeft + kw, c],
 * 0 in the padding.
 *   x: (N, H, W, C)   col: (N*OH*OW, KH*KW*C)
 */
export function im2col(device: Device, p: ConvParams, io: { x: Binding; col: Binding }): Promise<Dispatch> {
  const chunks = (p.batch * p.outH * p.outW * p.kernelH * p.kernelW * p.channels) / channelChunk(p.channels);
  return createDispatch(
    device,
    { label: 'im2col', code: shaderFor(p), entryPoint: 'im2col', constants: shaderConstants(p) },
    [io.x, io.col],
    grid(chunks, WG),
  );
}

/**
 * The adjoint of im2col: dX[n, h, w, c] = Σ dCol over every entry im2col copied from x[n, h, w, c].
 * Writes every element of dX (0 where no window reaches), so dX needs no clearing.
 *   dCol: (N*OH*OW, KH*KW*C)   dX: (N, H, W, C)
 */
export function col2im(device: Device, p: ConvParams, io: { dCol: Binding; dX: Binding }): Promise<Dispatch> {
  const chunks = (p.batch * p.height * p.width * p.channels) / channelChunk(p.channels);
  return createDispatch(
    device,
    { label: 'col2im', code: shaderFor(p), entryPoint: 'col2im', constants: shaderConstants(p) },
    [io.dCol, io.dX],
    grid(chunks, WG),
  );
}
