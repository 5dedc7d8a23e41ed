/**
 * 2-D max and average pooling over NHWC (Keras MaxPooling2D / AveragePooling2D), forward and
 * backward. Max pooling's forward also writes `argmax`, the flat NHWC index into x of each
 * output's maximum, which its backward reads.
 */
import poolCode from '../../shaders/pool.wgsl';
import windowCode from '../../shaders/window.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import { channelChunk, convGeometry, windowConstants, withChunkBlock, type Padding, type WindowPlacement } from './window.js';

// The kernel's text is its own file followed by the shared window helpers.
const code = `${poolCode}\n${windowCode}`;

/** What a pooling layer knows: pool_size, strides (default: the pool size), padding (default 'valid'). */
export interface PoolSpec {
  height: number;
  width: number;
  poolH: number;
  poolW: number;
  strideH?: number;
  strideW?: number;
  padding?: Padding;
}

/** The spec with its defaults filled in, plus the output size and padding on each side. */
export interface PoolGeometry extends Required<PoolSpec>, WindowPlacement {}

/** A geometry with the batch and channel counts: everything a pooling dispatch needs. */
export type PoolParams = PoolGeometry & { batch: number; channels: number };

/**
 * Output size and padding of a pooling layer, by Keras' rules (the same as a convolution's):
 * 'valid' floors (7 → 3 for pool 2), 'same' gives ceil(size / stride) with the odd extra
 * padding after. A pool larger than its input under 'valid' is an error.
 */
export function poolGeometry(spec: PoolSpec): PoolGeometry {
  const strideH = spec.strideH ?? spec.poolH;
  const strideW = spec.strideW ?? spec.poolW;
  const padding = spec.padding ?? 'valid';
  const g = convGeometry({
    height: spec.height,
    width: spec.width,
    kernelH: spec.poolH,
    kernelW: spec.poolW,
    strideH,
    strideW,
    padding,
  }, 'pooling');
  const { outH, outW, padTop, padLeft, padBottom, padRight } = g;
  return { height: spec.height, width: spec.width, poolH: spec.poolH, poolW: spec.poolW, strideH, strideW, padding, outH, outW, padTop, padLeft, padBottom, padRight };
}

const WG = 256;

/** The shader with four channels per invocation, for channel counts that are multiples of 4. */
const vec4Code = withChunkBlock(
  code,
  ['alias Chunk = vec4f;', 'alias ChunkIndex = vec4u;', 'const LANES = vec4u(0u, 1u, 2u, 3u);', 'const CHUNK = 4u;'].join('\n'),
);

function shaderFor(p: PoolParams): string {
  return channelChunk(p.channels) === 4 ? vec4Code : code;
}

/** The window constants, the pool being the window. */
function shaderConstants(p: PoolParams): Record<string, number> {
  return windowConstants({ ...p, kernelH: p.poolH, kernelW: p.poolW }, WG);
}

/** Invocations: one per channel chunk of y, or of x and dX. */
const outputChunks = (p: PoolParams) => (p.batch * p.outH * p.outW * p.channels) / channelChunk(p.channels);
const inputChunks = (p: PoolParams) => (p.batch * p.height * p.width * p.channels) / channelChunk(p.channels);

/**
 * y = max over each window; argmax = flat index ((n*H + h)*W + w)*C + c into x of that maximum
 * (the first one in (h, w) order on ties).
 *   x: (N, H, W, C)   y: (N, OH, OW, C)   argmax: (N, OH, OW, C) u32
 */
export function maxPoolForward(device: Device, p: PoolParams, io: { x: Binding; y: Binding; argmax: Binding }): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: 'max pool forward', code: shaderFor(p), entryPoint: 'maxForward', constants: shaderConstants(p) },
    [io.x, io.y, io.argmax],
    grid(outputChunks(p), WG),
  );
}

/**
 * dX[i] = Σ dY[o] over the outputs o whose argmax is i; writes every element of dX (0 where
 * no window took its max), so dX needs no clearing.
 *   dY: (N, OH, OW, C)   argmax: (N, OH, OW, C) u32   dX: (N, H, W, C)
 */
export function maxPoolBackward(device: Device, p: PoolParams, io: { dY: Binding; argmax: Binding; dX: Binding }): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: 'max pool backward', code: shaderFor(p), entryPoint: 'maxBackward', constants: shaderConstants(p) },
    [io.dY, io.dX, io.argmax],
    grid(inputChunks(p), WG),
  );
}

/**
 * y = mean over each window's input pixels (padding excluded from the count, as in Keras).
 *   x: (N, H, W, C)   y: (N, OH, OW, C)
 */
export function avgPoolForward(device: Device, p: PoolParams, io: { x: Binding; y: Binding }): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: 'avg pool forward', code: shaderFor(p), entryPoint: 'avgForward', constants: shaderConstants(p) },
    [io.x, io.y],
    grid(outputChunks(p), WG),
  );
}

/**
 * dX[n, h, w, c] = Σ over the windows covering (h, w) of dY / (that window's pixel count).
 * Writes every element of dX.
 *   dY: (N, OH, OW, C)   dX: (N, H, W, C)
 */
export function avgPoolBackward(device: Device, p: PoolParams, io: { dY: Binding; dX: Binding }): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: 'avg pool backward', code: shaderFor(p), entryPoint: 'avgBackward', constants: shaderConstants(p) },
    [io.dY, io.dX],
    grid(inputChunks(p), WG),
  );
}
