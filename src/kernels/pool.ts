/**
 * 2-D max and average pooling over NHWC (Keras MaxPooling2D / AveragePooling2D), forward and
 * backward. Max pooling's forward also writes `argmax`, the flat NHWC index into x of each
 * output's maximum, which its backward reads; with `reluInput` it also applies the backward of
 * the ReLU that produced x (a maximum ≤ 0 records NO_INDEX, so its window passes no gradient).
 * Max pooling's backward has two candidates, chosen per shape by src/runtime/tuner.ts:
 * 'gather' (one invocation per dX element, any geometry) and 'scatter' (one per output, for
 * windows that do not overlap); shaders/pool.wgsl describes both.
 */
import poolCode from '../../shaders/pool.wgsl';
import windowCode from '../../shaders/window.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import { ScratchOwner } from '../runtime/scratch.js';
import { chooseCandidate, tuningKey } from '../runtime/tuner.js';
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

/** The argmax of a window that passes no gradient (reluInput and a maximum ≤ 0). */
export const NO_INDEX = 0xffffffff;

/**
 * y = max over each window; argmax = flat index ((n*H + h)*W + w)*C + c into x of that maximum
 * (the first one in (h, w) order on ties), or NO_INDEX where `reluInput` and the maximum is
 * ≤ 0 (x is a ReLU's output and the backward below then includes that ReLU's backward).
 *   x: (N, H, W, C)   y: (N, OH, OW, C)   argmax: (N, OH, OW, C) u32
 */
export function maxPoolForward(device: Device, p: PoolParams, io: { x: Binding; y: Binding; argmax: Binding }, reluInput = false): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: 'max pool forward', code: shaderFor(p), entryPoint: 'maxForward', constants: { ...shaderConstants(p), RELU_INPUT: reluInput } },
    [io.x, io.y, io.argmax],
    grid(outputChunks(p), WG),
  );
}

export const MAX_POOL_BACKWARD_KERNELS = ['gather', 'scatter'] as const;
export type MaxPoolBackwardKernel = (typeof MAX_POOL_BACKWARD_KERNELS)[number];

/** The backward kernels that can run this geometry: scatter only where windows do not overlap. */
export function maxPoolBackwardCandidates(p: PoolParams): MaxPoolBackwardKernel[] {
  return p.strideH >= p.poolH && p.strideW >= p.poolW ? ['gather', 'scatter'] : ['gather'];
}

/**
 * The untimed default: scatter where it applies (it reads dY and argmax once per output, the
 * gather once per input element and covering window), else gather. Measured on SwiftShader
 * (2026-11-27, a loaded machine, medians of 5 rounds side by side): the scatter 3.9× faster on
 * mnist-conv3's first pool (100×28×28×16), 4.5× and 3.7× on its others, 3.1× on mnist-cnn's.
 */
export function defaultMaxPoolBackward(p: PoolParams): MaxPoolBackwardKernel {
  return maxPoolBackwardCandidates(p).includes('scatter') ? 'scatter' : 'gather';
}

/** Every shader text the pooling kernels dispatch (the tuner's cache key depends on them). */
export const POOL_SHADERS: readonly string[] = [code, vec4Code];

/** The cache key of max pool backward's choice for a shape. */
export function maxPoolBackwardTuningKey(p: PoolParams): string {
  return tuningKey('max pool backward', POOL_SHADERS, `${p.batch}×${p.height}×${p.width}×${p.channels} pool ${p.poolH}×${p.poolW} stride ${p.strideH}×${p.strideW} ${p.padding}`);
}

/**
 * dX[i] = Σ dY[o] over the outputs o whose argmax is i; writes every element of dX (0 where
 * no window took its max), so dX needs no clearing. `kernel` forces a candidate (tests, bench);
 * otherwise the tuner picks one for this shape on this device.
 *   dY: (N, OH, OW, C)   argmax: (N, OH, OW, C) u32   dX: (N, H, W, C)
 */
export async function maxPoolBackward(
  device: Device,
  p: PoolParams,
  io: { dY: Binding; argmax: Binding; dX: Binding },
  kernel?: MaxPoolBackwardKernel,
): Promise<Dispatch> {
  const candidates = maxPoolBackwardCandidates(p);
  const chosen = kernel ?? (await tunedMaxPoolBackward(device, p, candidates));
  if (!candidates.includes(chosen)) throw new Error(`max pool backward: the ${chosen} kernel needs windows that do not overlap (pool ${p.poolH}×${p.poolW}, strides ${p.strideH}×${p.strideW})`);
  const scatter = chosen === 'scatter';
  return createDispatch(
    device,
    { label: `max pool backward (${chosen})`, code: shaderFor(p), entryPoint: scatter ? 'maxBackwardScatter' : 'maxBackward', constants: shaderConstants(p) },
    [io.dY, io.dX, io.argmax],
    grid(scatter ? outputChunks(p) : inputChunks(p), WG),
  );
}

/** The candidate for this shape by device.kernelChoices' mode, timed on zero-filled scratch buffers. */
function tunedMaxPoolBackward(device: Device, p: PoolParams, candidates: MaxPoolBackwardKernel[]): Promise<MaxPoolBackwardKernel> {
  return chooseCandidate(device, {
    key: maxPoolBackwardTuningKey(p),
    candidates,
    fallback: defaultMaxPoolBackward(p),
    async prepare() {
      const owner = new ScratchOwner(device);
      const outputBytes = p.batch * p.outH * p.outW * p.channels * 4;
      const buffers = {
        dY: owner.scratch('max pool tuning dY', outputBytes),
        argmax: owner.scratch('max pool tuning argmax', outputBytes),
        dX: owner.scratch('max pool tuning dX', p.batch * p.height * p.width * p.channels * 4),
      };
      return {
        build: async (candidate) => [await maxPoolBackward(device, p, buffers, candidate)],
        dispose: () => owner.destroy(),
      };
    },
  });
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
