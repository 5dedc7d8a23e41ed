/**
 * What im2col/col2im and pooling share: the geometry of a sliding window over an NHWC image
 * (output size and padding, by Keras/TF's rules), and the channel chunking of their shaders
 * (one channel, or four as a vec4, per invocation). The shaders' window helpers are
 * shaders/window.wgsl.
 */

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
  /** Keras' dilation_rate: the window's taps this far apart (default 1, adjacent). */
  dilationH?: number;
  dilationW?: number;
}

/**
 * What follows from a window spec: the output size and the padding on each side.
 * `padBottom`/`padRight` are implied by the output size; they are given for the reader.
 */
export interface WindowPlacement {
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
  padBottom: number;
  padRight: number;
}

/** The spec plus its output size and padding. */
export interface ConvGeometry extends ConvSpec, WindowPlacement {}

/** A geometry with the batch and channel counts: everything an im2col/col2im or pooling dispatch needs. */
export type WindowParams = ConvGeometry & { batch: number; channels: number };

interface AxisGeometry {
  out: number;
  padBefore: number;
  padAfter: number;
}

/**
 * One spatial axis, following TF (and so Keras) exactly, with the window's span
 * span = (kernel - 1)·dilation + 1:
 *   'valid': out = floor((size - span) / stride) + 1, no padding;
 *   'same':  out = ceil(size / stride), total padding max((out-1)*stride + span - size, 0),
 *            floor(total/2) before and the rest (the odd extra one) after.
 */
function axisGeometry(what: string, size: number, kernel: number, stride: number, padding: Padding, dilation: number): AxisGeometry {
  for (const [name, value] of [['size', size], ['kernel', kernel], ['stride', stride], ['dilation', dilation]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${what}: ${name} must be a positive integer, got ${value}`);
  }
  const span = (kernel - 1) * dilation + 1;
  if (padding === 'valid') {
    if (span > size) {
      const taps = dilation > 1 ? ` (${kernel} taps ${dilation} apart)` : '';
      throw new Error(`${what}: a window of ${span}${taps} does not fit an input of ${size} with padding 'valid'`);
    }
    return { out: Math.floor((size - span) / stride) + 1, padBefore: 0, padAfter: 0 };
  }
  if (padding !== 'same') throw new Error(`${what}: padding must be 'valid' or 'same', got ${String(padding)}`);
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + span - size, 0);
  const padBefore = Math.floor(total / 2);
  return { out, padBefore, padAfter: total - padBefore };
}

/**
 * Output size and padding of a convolution (or pooling) window over an input, per Keras/TF.
 * `what` names the layer in error messages.
 */
export function convGeometry(spec: ConvSpec, what = 'convolution'): ConvGeometry {
  const rows = axisGeometry(`${what} height`, spec.height, spec.kernelH, spec.strideH, spec.padding, spec.dilationH ?? 1);
  const cols = axisGeometry(`${what} width`, spec.width, spec.kernelW, spec.strideW, spec.padding, spec.dilationW ?? 1);
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

/** The window's shape for a cache key: `k3×3 s1×1 same`, with ` d2×2` where it is dilated. */
export function windowKey(p: ConvSpec): string {
  const [dh, dw] = [p.dilationH ?? 1, p.dilationW ?? 1];
  return `k${p.kernelH}×${p.kernelW} s${p.strideH}×${p.strideW} ${p.padding}${dh === 1 && dw === 1 ? '' : ` d${dh}×${dw}`}`;
}

/** The override constants of shaders/window.wgsl, and the workgroup size. */
export function windowConstants(p: WindowParams, workgroupSize: number): Record<string, number> {
  return {
    N: p.batch,
    H: p.height,
    W: p.width,
    C: p.channels,
    KH: p.kernelH,
    KW: p.kernelW,
    SH: p.strideH,
    SW: p.strideW,
    DH: p.dilationH ?? 1,
    DW: p.dilationW ?? 1,
    PAD_TOP: p.padTop,
    PAD_LEFT: p.padLeft,
    OH: p.outH,
    OW: p.outW,
    WG: workgroupSize,
  };
}

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
