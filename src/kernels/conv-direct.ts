/**
 * Direct convolution for windows of few taps (KH·KW·C ≤ 16, a first conv layer on one-channel
 * images): the forward (bias and ReLU fused) and the weight and bias gradients without im2col
 * (shaders/conv-direct.wgsl says how). The layer's other path is im2col + matmul
 * (src/kernels/im2col.ts, matmul.ts, column-sum.ts); the two are candidates of one contract —
 * from x, W, b and dZ they give y, dW and db — and chooseConvPath() picks one by timing both
 * on the device (src/runtime/tuner.ts), per layer shape and batch.
 *   x: (N, H, W, C)   w: HWIO (KH, KW, C, F) read as (TAPS, F)   bias, db: (F)
 *   y, dZ: (N·OH·OW, F)   dW: (TAPS, F)
 */
import code from '../../shaders/conv-direct.wgsl';
import windowCode from '../../shaders/window.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import { ScratchOwner, type Scratch } from '../runtime/scratch.js';
import { chooseCandidate, codeVersion } from '../runtime/tuner.js';
import { columnSum } from './column-sum.js';
import { im2col, type ConvParams } from './im2col.js';
import { matmul } from './matmul.js';
import { windowConstants } from './window.js';

const fullCode = `${code}\n${windowCode}`;
const WG = 64;
/** Output pixels per forward invocation (PIXELS in the shader). */
const PIXELS = 4;
/** The most taps (KH·KW·C) the shader's registers hold (MAX_TAPS in the shader). */
export const DIRECT_MAX_TAPS = 16;
/** Rows of dZ each invocation of the weight gradient's first pass sums. */
const ROWS_PER_CHUNK = 128;

/** A conv layer's shape as the direct kernels take it: the window geometry, batch, channels and filters. */
export interface DirectConvParams extends ConvParams {
  filters: number;
  /** The layer has a bias (added in the forward, its gradient summed in the backward). */
  bias: boolean;
  /** ReLU fused into the forward. */
  relu: boolean;
}

/** The two ways a conv layer's forward and weight gradients can run (see the file comment). */
export const CONV_PATHS = ['im2col', 'direct'] as const;
export type ConvPath = (typeof CONV_PATHS)[number];

/** Why the direct kernels cannot run this layer, or undefined when they can. */
export function directConvProblem(p: { kernelH: number; kernelW: number; channels: number; filters: number }): string | undefined {
  const taps = p.kernelH * p.kernelW * p.channels;
  if (taps > DIRECT_MAX_TAPS) return `the direct conv needs KH·KW·C ≤ ${DIRECT_MAX_TAPS} (got ${taps})`;
  if (p.filters % 4) return `the direct conv needs filters % 4 == 0 (got ${p.filters})`;
  return undefined;
}

function constants(p: DirectConvParams): Record<string, number | boolean> {
  return { ...windowConstants(p, WG), F: p.filters, HAS_BIAS: p.bias, RELU: p.relu, ROWS_PER_CHUNK };
}

function check(p: DirectConvParams, label: string): void {
  const problem = directConvProblem(p);
  if (problem) throw new Error(`${label}: ${problem}`);
}

/**
 * y = act(conv(x, w) + bias), one dispatch.
 *   x: (N, H, W, C)   w: (KH·KW·C, F)   bias: (F)   y: (N·OH·OW, F)
 */
export async function directConvForward(
  device: Device,
  p: DirectConvParams,
  io: { x: Binding; w: Binding; bias?: Binding; y: Binding },
  scratch: Scratch,
  label = 'direct conv',
): Promise<Dispatch[]> {
  check(p, label);
  if (p.bias !== Boolean(io.bias)) throw new Error(`${label}: params.bias and io.bias must come together`);
  // Without a bias, a 16-byte stand-in fills its binding (the shader never reads it).
  const bias = io.bias ?? scratch(`${label} no bias`, 16);
  const rows = p.batch * p.outH * p.outW;
  const invocations = Math.ceil(rows / PIXELS) * (p.filters / 4);
  return [
    await createDispatch(device, { label, code: fullCode, entryPoint: 'forward', constants: constants(p) }, [io.x, io.w, bias, io.y], grid(invocations, WG)),
  ];
}

/**
 * dW = Σ over output pixels of tap·dZ (im2col(x)ᵀ·dZ) and db = Σ dZ over rows: two dispatches,
 * per-chunk partial sums into a scratch buffer (CHUNKS, TAPS + 1, F) taken from `scratch`
 * once, then their sum. db is left alone when the layer has no bias.
 *   x: (N, H, W, C)   dZ: (N·OH·OW, F)   dW: (KH·KW·C, F)   db: (F)
 */
export async function directConvWeightGradient(
  device: Device,
  p: DirectConvParams,
  io: { x: Binding; dZ: Binding; dW: Binding; db?: Binding },
  scratch: Scratch,
  label = 'direct conv dW',
): Promise<Dispatch[]> {
  check(p, label);
  if (p.bias !== Boolean(io.db)) throw new Error(`${label}: params.bias and io.db must come together`);
  const taps = p.kernelH * p.kernelW * p.channels;
  const vectors = p.filters / 4;
  const chunks = Math.ceil((p.batch * p.outH * p.outW) / ROWS_PER_CHUNK);
  const partials = scratch(`${label} partials ${chunks}×${taps + 1}×${p.filters}`, chunks * (taps + 1) * p.filters * 4);
  const db = io.db ?? scratch(`${label} no bias`, 16);
  const c = constants(p);
  return [
    await createDispatch(device, { label, code: fullCode, entryPoint: 'weightPartials', constants: c }, [io.x, io.dZ, partials], grid(chunks * vectors, WG)),
    await createDispatch(device, { label: `${label} finish`, code: fullCode, entryPoint: 'weightFinish', constants: c }, [partials, io.dW, db], grid((taps + 1) * vectors, WG)),
  ];
}

/** Changes with the direct shader, so that stored choices made against an older one are timed afresh. */
const CODE_VERSION = codeVersion(fullCode);

/** The cache key of a conv layer's path choice: shader version, shape and variant. */
export function convPathKey(p: DirectConvParams): string {
  const shape = `${p.batch}×${p.height}×${p.width}×${p.channels} k${p.kernelH}×${p.kernelW} s${p.strideH}×${p.strideW} ${p.padding} → ${p.filters}`;
  return `conv path@${CODE_VERSION} ${shape}${p.bias ? ' +bias' : ''}${p.relu ? ' +relu' : ''}`;
}

/** Timing runs cover at most this many output pixels (the batch is cut down to fit; time grows linearly with it). */
const TUNING_MAX_ROWS = 1 << 14;

/**
 * The path for a conv layer (see the file comment): 'im2col' where the direct kernels cannot
 * run it; otherwise by device.kernelChoices' mode (the tuner times, per candidate, the forward
 * and the weight and bias gradients on scratch buffers). The untimed default: direct on a
 * software adapter (measured faster on SwiftShader, see the README's Performance notes),
 * im2col + matmul elsewhere (not yet timed on a GPU).
 */
export async function chooseConvPath(device: Device, p: DirectConvParams): Promise<ConvPath> {
  const direct = directConvProblem(p) === undefined;
  return chooseCandidate<ConvPath>(device, {
    key: convPathKey(p),
    candidates: direct ? CONV_PATHS : ['im2col'],
    fallback: direct && device.adapter.software ? 'direct' : 'im2col',
    async prepare() {
      const pixels = p.outH * p.outW;
      const batch = Math.max(1, Math.min(p.batch, Math.floor(TUNING_MAX_ROWS / pixels)));
      const proxy = { ...p, batch };
      const rows = batch * pixels;
      const taps = p.kernelH * p.kernelW * p.channels;
      const owner = new ScratchOwner(device);
      const buffer = (what: string, elements: number) => owner.scratch(`conv path tuning ${what}`, elements * 4);
      const io = {
        x: buffer('x', batch * p.height * p.width * p.channels),
        w: buffer('w', taps * p.filters),
        bias: p.bias ? buffer('bias', p.filters) : undefined,
        y: buffer('y', rows * p.filters),
        dZ: buffer('dZ', rows * p.filters),
        dW: buffer('dW', taps * p.filters),
        db: p.bias ? buffer('db', p.filters) : undefined,
        col: buffer('col', rows * taps),
      };
      return {
        timedShape: batch === p.batch ? undefined : `batch ${batch}`,
        build: async (path) => {
          if (path === 'direct') {
            return [
              ...(await directConvForward(device, proxy, io, owner.scratch, 'conv path tuning forward')),
              ...(await directConvWeightGradient(device, proxy, { x: io.x, dZ: io.dZ, dW: io.dW, db: io.db }, owner.scratch, 'conv path tuning dW')),
            ];
          }
          const gemm = { m: rows, n: p.filters, k: taps };
          return [
            await im2col(device, proxy, { x: io.x, col: io.col }),
            ...(await matmul(device, { ...gemm, bias: p.bias, activation: p.relu ? 'relu' : 'linear', label: 'conv path tuning forward' }, { a: io.col, b: io.w, c: io.y, bias: io.bias }, owner.scratch)),
            ...(await matmul(device, { m: taps, n: p.filters, k: rows, transA: true, label: 'conv path tuning dW' }, { a: io.col, b: io.dZ, c: io.dW }, owner.scratch)),
            ...(io.db ? await columnSum(device, { rows, cols: p.filters }, { x: io.dZ, out: io.db }, owner.scratch) : []),
          ];
        },
        dispose: () => owner.destroy(),
      };
    },
  });
}
