/**
 * Matrix multiply C = op(A)·op(B) (+ bias) (then ReLU) (then zero where a mask ≤ 0),
 * optionally split along K, by one of
 * several kernels with one contract (the candidates; src/runtime/tuner.ts times them on the
 * device, chooseKernel() is the untimed default):
 *  - 'quads': 8×4 register blocks whose quads share their loads of A (shaders/matmul-quads.wgsl,
 *    devices with quads);
 *  - 'rows8', 'rows4': 8×4 or 4×4 register blocks, no optional feature (shaders/matmul.wgsl);
 *  - 'vec4': 16×8 blocks with both operands bound as vec4 arrays (shaders/matmul-vec4.wgsl),
 *    only for shapes whose stored rows start on a vec4 (see vec4Problem);
 *  - 'tiled': workgroup tiles staged in workgroup memory, the GPU kind (shaders/matmul-tiled.wgsl).
 * The register-blocked ones read no workgroup memory (shaders/matmul.wgsl says why). The
 * forward of dense and conv layers and both of their weight/input gradients (through transA /
 * transB, read in place) go through here; the mask is the backward of a ReLU whose output is
 * the layer's input, fused into the input gradient (every candidate applies it in its epilogue,
 * a split-K run in its reduction: shaders/matmul-output.wgsl).
 */
import common from '../../shaders/matmul-common.wgsl';
import output from '../../shaders/matmul-output.wgsl';
import plain from '../../shaders/matmul.wgsl';
import quads from '../../shaders/matmul-quads.wgsl';
import tiled from '../../shaders/matmul-tiled.wgsl';
import vec4 from '../../shaders/matmul-vec4.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Constants } from '../device/pipelines.js';
import { ScratchOwner, type Scratch } from '../runtime/scratch.js';
import { chooseCandidate, tuningKey, type TuningProblem } from '../runtime/tuner.js';

export interface MatmulParams {
  m: number;
  n: number;
  k: number;
  /** A is stored (K, M) and read as its transpose (e.g. dW = colᵀ·dY). */
  transA?: boolean;
  /** B is stored (N, K) and read as its transpose (e.g. dX = dY·Wᵀ). */
  transB?: boolean;
  /** Adds bias[N] to every row of C. */
  bias?: boolean;
  activation?: 'linear' | 'relu';
  /** Zeroes C where mask[M, N] ≤ 0 (after bias and activation): a ReLU's backward, mask = its output. */
  reluMask?: boolean;
  label?: string;
  /**
   * Independent products computed by one dispatch (default 1): A, B and C each hold `batch`
   * matrices one after another, and C[e] = op(A[e])·op(B[e]) (+ bias) (then ReLU); the bias is
   * shared. No split-K then: the entries already fill the device.
   */
  batch?: number;
  /** Number of K slices; default from chooseSplitK(). Forcing it is for tests and tuning. */
  splitK?: number;
  /** The shader; default from chooseKernel(). Forcing it is for tests and tuning. */
  kernel?: MatmulKernel;
}

/** The candidates, in the order the tuner tries them (see the file comment). */
export const MATMUL_KERNELS = ['quads', 'rows8', 'rows4', 'vec4', 'tiled'] as const;
export type MatmulKernel = (typeof MATMUL_KERNELS)[number];

export interface MatmulIO {
  /** (M, K), or (K, M) with transA; (batch, ...) when batched. */
  a: Binding;
  /** (K, N), or (N, K) with transB; (batch, ...) when batched. */
  b: Binding;
  /** (M, N) output; (batch, M, N) when batched. */
  c: Binding;
  /** (N), required when params.bias. */
  bias?: Binding;
  /** (M, N), or (batch, M, N) when batched; required when params.reluMask. */
  mask?: Binding;
}

/** Rows × columns of C per invocation (per workgroup for 'tiled'). */
const BLOCK: Record<MatmulKernel, { rows: number; cols: number }> = {
  quads: { rows: 8, cols: 4 },
  rows8: { rows: 8, cols: 4 },
  rows4: { rows: 4, cols: 4 },
  vec4: { rows: 16, cols: 8 },
  tiled: { rows: 32, cols: 32 },
};
const WG = 64;
/** The tiled kernel's tile along K; its workgroup is (rows / 4)·(cols / 4) = 64 invocations. */
const TILE_K = 16;

// Each kernel's text is its own file followed by the shared ones (WGSL's module-scope
// declarations may come in any order; the quad file's directives stay first).
const CODE: Record<MatmulKernel, string> = {
  quads: `${quads}\n${common}\n${output}`,
  rows8: `${plain}\n${common}\n${output}`,
  rows4: `${plain}\n${common}\n${output}`,
  vec4: `${vec4}\n${output}`,
  tiled: `${tiled}\n${common}\n${output}`,
};

/** A kernel's whole WGSL text (for tools that time variants of it, bench/matmul-ablation.ts). */
export function matmulCode(kernel: MatmulKernel): string {
  return CODE[kernel];
}

/**
 * Shape limits, measured on first conv layers on SwiftShader: below this K the quad kernel's
 * four-step walk over K is mostly its remainder path (50176×16×4: 29.5 ms against 18.0 with
 * 8 rows, 19.0 with 4), and up to this M half of an 8-row block would be padding
 * (dW 4×16×78400: 15.3 ms with quads against 11.7 with 4 rows).
 */
const QUADS_MIN_K = 16;
const ROWS8_MIN_M = 5;

/**
 * The untimed default (tuning 'off'), per adapter class. Software (SwiftShader): the quad kernel
 * where the device has quads and the shape suits it; else 8 rows, or 4 for M ≤ 4 (measured, see
 * above). Hardware: the tiled kernel, the kind that wins on GPUs (not yet timed on one here).
 */
export function chooseKernel(device: Device, m: number, k: number): MatmulKernel {
  if (!device.adapter.software) return 'tiled';
  if (m < ROWS8_MIN_M) return 'rows4';
  return device.quads && k >= QUADS_MIN_K ? 'quads' : 'rows8';
}

/**
 * Why `kernel` cannot run this matmul on this device, or undefined when it can. The vec4
 * kernel binds A and B as vec4 arrays: every stored row must start on a vec4, so the
 * contiguous dimension of each stored operand (K of A, or M with transA; N of B, or K with
 * transB) must be a multiple of 4, and K always (it walks K four at a time).
 */
export function kernelProblem(device: Device, params: MatmulParams, kernel: MatmulKernel): string | undefined {
  if (kernel === 'quads' && !device.quads) return 'the quads kernel needs a device with quads (device.quads is false)';
  if (kernel !== 'vec4') return undefined;
  const { m, n, k, transA = false, transB = false } = params;
  if (k % 4) return `the vec4 kernel needs K % 4 == 0 (K = ${k})`;
  if (transA && m % 4) return `the vec4 kernel needs M % 4 == 0 with transA (M = ${m})`;
  if (!transB && n % 4) return `the vec4 kernel needs N % 4 == 0 without transB (N = ${n})`;
  return undefined;
}

/** The kernels that can run this matmul on this device, in MATMUL_KERNELS' order. */
export function matmulCandidates(device: Device, params: MatmulParams): MatmulKernel[] {
  return MATMUL_KERNELS.filter((kernel) => kernelProblem(device, params, kernel) === undefined);
}

/** Split-K heuristic parameters (see chooseSplitK). */
const SPLIT_TARGET_INVOCATIONS = 4096;
const SPLIT_MIN_K = 256;
const SPLIT_MAX_SCRATCH_BYTES = 64 << 20;

/**
 * How many slices to split K into. Splitting pays when C has too few blocks to keep the
 * device busy while each block is a long walk over K (the weight gradient of a conv:
 * M×N = 4×16 for a first layer, but K = batch·OH·OW = 25,088). The rule: aim for
 * SPLIT_TARGET_INVOCATIONS invocations, but give every slice at least SPLIT_MIN_K of K so
 * the partial sums written and re-read (S·M·N each) stay small next to the M·N·K
 * multiply-adds, and keep the scratch buffer of S·M·N floats under SPLIT_MAX_SCRATCH_BYTES.
 */
export function chooseSplitK(m: number, n: number, k: number, kernel: MatmulKernel = 'rows4'): number {
  const blocks = Math.ceil(m / BLOCK[kernel].rows) * Math.ceil(n / BLOCK[kernel].cols);
  const wanted = Math.ceil(SPLIT_TARGET_INVOCATIONS / blocks);
  const deepEnough = Math.floor(k / SPLIT_MIN_K);
  const fitsScratch = Math.floor(SPLIT_MAX_SCRATCH_BYTES / (m * n * 4));
  return Math.max(1, Math.min(wanted, deepEnough, fitsScratch));
}

/**
 * Timing runs of a matmul do at most this many FLOPs and touch at most this many elements of
 * A, B and C together (a skinny conv layer, K = 9, is bound by memory, not FLOPs): larger
 * shapes are timed on a proxy.
 */
const TUNING_MAX_FLOPS = 2 ** 25;
const TUNING_MAX_ELEMENTS = 2 ** 20;
/** Every shader text a matmul candidate dispatches (the tuner's cache keys depend on them all). */
export const MATMUL_SHADERS: readonly string[] = Object.values(CODE);

/** The cache key of a matmul call: shaders' version (tuningKey), shape and variant. */
export function matmulTuningKey(params: MatmulParams): string {
  const { m, n, k, transA, transB, bias, activation, reluMask, splitK, batch = 1 } = params;
  const parts = [`${batch > 1 ? `${batch} × ` : ''}${m}×${n}×${k}`];
  if (transA) parts.push('Aᵀ');
  if (transB) parts.push('Bᵀ');
  if (bias) parts.push('+bias');
  if (activation === 'relu') parts.push('+relu');
  if (reluMask) parts.push('+mask');
  if (splitK) parts.push(`split-K ${splitK}`);
  return tuningKey('matmul', MATMUL_SHADERS, parts.join(' '));
}

/**
 * The problem the tuner times for a shape: the shape itself within TUNING_MAX_FLOPS and
 * TUNING_MAX_ELEMENTS, else the same N and variant with the larger of M and K cut down (to no
 * less than 64, keeping its remainder modulo 32 so that the edge blocks and the vec4 rule stay
 * as they are). On a GPU a much smaller M could fill the device less than the real one; the
 * proxy still has thousands of blocks for the usual N.
 */
export function tuningProxy(params: MatmulParams): MatmulParams {
  const { n } = params;
  let { m, k, batch = 1 } = params;
  const excess = () => Math.max((2 * batch * m * n * k) / TUNING_MAX_FLOPS, (batch * (m * k + k * n + m * n)) / TUNING_MAX_ELEMENTS);
  // A batched problem first loses entries (down to 2, so that it stays a batched dispatch).
  if (batch > 2) batch = Math.max(2, Math.min(batch, Math.floor(batch / excess())));
  const cut = (size: number, factor: number) => Math.min(size, Math.max(64, Math.ceil(size / factor / 32) * 32) + (size % 32));
  // Cut the larger dimension; if it hits its floor, the other one next.
  for (let round = 0; round < 2 && excess() > 1; round++) {
    if (m >= k) m = cut(m, excess());
    else k = cut(k, excess());
  }
  return m === params.m && k === params.k && batch === (params.batch ?? 1) ? params : { ...params, m, k, ...(params.batch === undefined ? {} : { batch }) };
}

/** The kernel for a call that does not force one: by device.kernelChoices' mode (see tuner.ts). */
function tunedKernel(device: Device, params: MatmulParams, label: string): Promise<MatmulKernel> {
  return chooseCandidate(device, matmulTuningProblem(device, params, label));
}

/** What the tuner times for a matmul call (exported for bench/tuner-noise.ts). */
export function matmulTuningProblem(device: Device, params: MatmulParams, label: string): TuningProblem<MatmulKernel> {
  return {
    key: matmulTuningKey(params),
    candidates: matmulCandidates(device, params),
    fallback: chooseKernel(device, params.m, params.k),
    async prepare() {
      const proxy = tuningProxy(params);
      const { m, n, k } = proxy;
      // Operands of the proxy's sizes, and every candidate's own scratch (split-K partials),
      // all freed once the timing is done; their (zero) contents do not matter to the time.
      const owner = new ScratchOwner(device);
      const entries = proxy.batch ?? 1;
      const buffers = {
        a: owner.scratch(`${label} tuning A`, entries * m * k * 4),
        b: owner.scratch(`${label} tuning B`, entries * k * n * 4),
        c: owner.scratch(`${label} tuning C`, entries * m * n * 4),
        bias: params.bias ? owner.scratch(`${label} tuning bias`, n * 4) : undefined,
        mask: params.reluMask ? owner.scratch(`${label} tuning mask`, entries * m * n * 4) : undefined,
      };
      return {
        timedShape: proxy === params ? undefined : `${entries > 1 ? `${entries} × ` : ''}${m}×${n}×${k}`,
        build: (kernel) => matmul(device, { ...proxy, kernel, label: `${label} tuning` }, buffers, owner.scratch),
        dispose: () => owner.destroy(),
      };
    },
  };
}

/**
 * C[M, N] = op(A)·op(B) (+ bias[N]) (then ReLU) (then 0 where mask[M, N] ≤ 0). One dispatch,
 * or two with split-K (the partial sums go to a scratch buffer of (S, M, N) floats taken from
 * `scratch`, once; the reduction applies the epilogue, the mask included).
 */
export async function matmul(device: Device, params: MatmulParams, io: MatmulIO, scratch: Scratch): Promise<Dispatch[]> {
  const { m, n, k, transA = false, transB = false, activation = 'linear', batch = 1 } = params;
  const label = params.label ?? `matmul ${m}×${n}×${k}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}`;
  if (!(m >= 1 && n >= 1 && k >= 1)) throw new Error(`${label}: m, n, k must be ≥ 1 (got ${m}, ${n}, ${k})`);
  if (Boolean(params.bias) !== Boolean(io.bias)) throw new Error(`${label}: params.bias and io.bias must come together`);
  if (Boolean(params.reluMask) !== Boolean(io.mask)) throw new Error(`${label}: params.reluMask and io.mask must come together`);
  if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`${label}: batch must be an integer ≥ 1 (got ${batch})`);
  if (batch > 1 && params.splitK !== undefined && params.splitK !== 1) throw new Error(`${label}: a batched matmul is not split along K (batch ${batch}, splitK ${params.splitK})`);

  const kernel = params.kernel ?? (await tunedKernel(device, params, label));
  const problem = kernelProblem(device, params, kernel);
  if (problem) throw new Error(`${label}: ${problem}`);
  const requested = batch > 1 ? 1 : Math.max(1, Math.min(params.splitK ?? chooseSplitK(m, n, k, kernel), k));
  // The vec4 kernel walks K four at a time: its slices are whole multiples of 4.
  const step = kernel === 'vec4' ? 4 : 1;
  const kPerSplit = Math.ceil(Math.ceil(k / requested) / step) * step;
  // Recount so that no slice is empty.
  const splits = Math.ceil(k / kPerSplit);

  const shape = { M: m, N: n, K: k, WG, ...(batch > 1 ? { BATCH: batch } : {}) };
  const epilogue = { HAS_BIAS: Boolean(params.bias), RELU: activation === 'relu', RELU_MASK: Boolean(params.reluMask) };
  // Without a bias or a mask, a 16-byte stand-in fills its binding (the shader never reads it).
  const standIn = io.bias && io.mask ? undefined : scratch(`${label} no bias or mask`, 16);
  const bias = io.bias ?? standIn!;
  const mask = io.mask ?? standIn!;
  const variant = { TRANS_A: transA, TRANS_B: transB };
  const code = CODE[kernel];
  const { rows, cols } = BLOCK[kernel];
  const rowBlocks = Math.ceil(m / rows);
  const colBlocks = Math.ceil(n / cols);
  let kernelConstants: Constants = {};
  let x: number;
  let y: number;
  if (kernel === 'tiled') {
    // One workgroup per tile.
    kernelConstants = { TILE_M: rows, TILE_N: cols, TILE_K, WG: (rows / 4) * (cols / 4) };
    [x, y] = grid(rowBlocks * colBlocks, 1);
  } else {
    if (kernel === 'rows8' || kernel === 'rows4') kernelConstants = { ROWS: rows };
    // The quad kernel gives each row block whole quads of column blocks.
    const invocations = kernel === 'quads' ? rowBlocks * Math.ceil(colBlocks / 4) * 4 : rowBlocks * colBlocks;
    [x, y] = grid(invocations, WG);
  }

  if (splits === 1) {
    return [
      await createDispatch(device, { label: `${label} (${kernel})`, code, entryPoint: 'main', constants: { ...shape, ...variant, ...epilogue, ...kernelConstants } }, [bias, io.c, io.a, io.b, mask], [x, y, batch]),
    ];
  }

  // partials: (splits, M, N)
  const partials = scratch(`${label} split-K partials`, splits * m * n * 4);
  const partialSums = await createDispatch(
    device,
    { label: `${label} (${kernel}) split ${splits}`, code, entryPoint: 'main', constants: { ...shape, ...variant, ...kernelConstants, SPLIT: splits, K_PER_SPLIT: kPerSplit } },
    [bias, partials, io.a, io.b, mask],
    [x, y, splits],
  );
  const reduce = await createDispatch(
    device,
    { label: `${label} split-K reduce`, code: CODE.rows4, entryPoint: 'reduce_splits', constants: { ...shape, SPLIT: splits, ...epilogue } },
    // reduce_splits does not use binding 3 (b).
    [bias, io.c, partials, undefined, mask],
    grid(m * n, WG),
  );
  return [partialSums, reduce];
}
