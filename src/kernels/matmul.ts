/**
 * Matrix multiply C = op(A)·op(B) (+ bias) (then ReLU): register-blocked, with no workgroup
 * memory (shaders/matmul.wgsl says why), optionally split along K. Two shaders: 8×4 blocks
 * whose quads share their loads of A (shaders/matmul-quads.wgsl, on devices with quads),
 * and 8×4 or 4×4 blocks that need no optional feature (shaders/matmul.wgsl). The forward of
 * dense and conv layers and both of their weight/input gradients (through transA / transB,
 * read in place) go through here.
 */
import common from '../../shaders/matmul-common.wgsl';
import plain from '../../shaders/matmul.wgsl';
import quads from '../../shaders/matmul-quads.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Constants } from '../device/pipelines.js';
import type { Scratch } from '../runtime/scratch.js';

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
  label?: string;
  /** Number of K slices; default from chooseSplitK(). Forcing it is for tests and tuning. */
  splitK?: number;
  /** The shader; default from chooseKernel(). Forcing it is for tests and tuning. */
  kernel?: MatmulKernel;
}

/**
 * 'quads': 8×4 blocks of C per invocation, op(A) loads shared across each quad (needs
 * device.quads). 'rows8' and 'rows4': 8×4 and 4×4 blocks, any device.
 */
export type MatmulKernel = 'quads' | 'rows8' | 'rows4';

export interface MatmulIO {
  /** (M, K), or (K, M) with transA. */
  a: Binding;
  /** (K, N), or (N, K) with transB. */
  b: Binding;
  /** (M, N) output. */
  c: Binding;
  /** (N), required when params.bias. */
  bias?: Binding;
}

/** Rows of C per invocation, fixed by each kernel; every kernel takes 4 columns. */
const ROWS: Record<MatmulKernel, number> = { quads: 8, rows8: 8, rows4: 4 };
const COLS = 4;
const WG = 64;

// Each kernel's text is its own file followed by the shared one (WGSL's module-scope
// declarations may come in any order; the quad file's directives stay first).
const plainCode = `${plain}\n${common}`;
const quadsCode = `${quads}\n${common}`;

/**
 * Shape limits, measured on first conv layers on SwiftShader: below this K the quad kernel's
 * four-step walk over K is mostly its remainder path (50176×16×4: 29.5 ms against 18.0 with
 * 8 rows, 19.0 with 4), and up to this M half of an 8-row block would be padding
 * (dW 4×16×78400: 15.3 ms with quads against 11.7 with 4 rows).
 */
const QUADS_MIN_K = 16;
const ROWS8_MIN_M = 5;

/** The quad kernel where the device has quads and the shape suits it; else 8 rows, or 4 for M ≤ 4. */
export function chooseKernel(device: Device, m: number, k: number): MatmulKernel {
  if (m < ROWS8_MIN_M) return 'rows4';
  return device.quads && k >= QUADS_MIN_K ? 'quads' : 'rows8';
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
  const blocks = Math.ceil(m / ROWS[kernel]) * Math.ceil(n / COLS);
  const wanted = Math.ceil(SPLIT_TARGET_INVOCATIONS / blocks);
  const deepEnough = Math.floor(k / SPLIT_MIN_K);
  const fitsScratch = Math.floor(SPLIT_MAX_SCRATCH_BYTES / (m * n * 4));
  return Math.max(1, Math.min(wanted, deepEnough, fitsScratch));
}

/**
 * C[M, N] = op(A)·op(B) (+ bias[N]) (then ReLU). One dispatch, or two with split-K (the
 * partial sums go to a scratch buffer of (S, M, N) floats taken from `scratch`, once).
 */
export async function matmul(device: Device, params: MatmulParams, io: MatmulIO, scratch: Scratch): Promise<Dispatch[]> {
  const { m, n, k, transA = false, transB = false, activation = 'linear' } = params;
  const label = params.label ?? `matmul ${m}×${n}×${k}${transA ? ' Aᵀ' : ''}${transB ? ' Bᵀ' : ''}`;
  if (!(m >= 1 && n >= 1 && k >= 1)) throw new Error(`${label}: m, n, k must be ≥ 1 (got ${m}, ${n}, ${k})`);
  if (Boolean(params.bias) !== Boolean(io.bias)) throw new Error(`${label}: params.bias and io.bias must come together`);

  const kernel = params.kernel ?? chooseKernel(device, m, k);
  if (kernel === 'quads' && !device.quads) throw new Error(`${label}: the quads kernel needs a device with quads (device.quads is false)`);
  const requested = Math.max(1, Math.min(params.splitK ?? chooseSplitK(m, n, k, kernel), k));
  const kPerSplit = Math.ceil(k / requested);
  // Recount so that no slice is empty.
  const splits = Math.ceil(k / kPerSplit);

  const shape = { M: m, N: n, K: k, WG };
  const epilogue = { HAS_BIAS: Boolean(params.bias), RELU: activation === 'relu' };
  // Without a bias, a 16-byte stand-in fills its binding (the shader never reads it).
  const bias = io.bias ?? scratch(`${label} no bias`, 16);
  const rows = ROWS[kernel];
  const rowBlocks = Math.ceil(m / rows);
  const colBlocks = Math.ceil(n / COLS);
  // The quad kernel gives each row block whole quads of column blocks.
  const invocations = kernel === 'quads' ? rowBlocks * Math.ceil(colBlocks / 4) * 4 : rowBlocks * colBlocks;
  const [x, y] = grid(invocations, WG);
  const variant = { TRANS_A: transA, TRANS_B: transB };
  const code = kernel === 'quads' ? quadsCode : plainCode;
  const rowsConstant: Constants = kernel === 'quads' ? {} : { ROWS: rows };

  if (splits === 1) {
    return [
      await createDispatch(device, { label, code, entryPoint: 'main', constants: { ...shape, ...rowsConstant, ...variant, ...epilogue } }, [bias, io.c, io.a, io.b], [x, y, 1]),
    ];
  }

  // partials: (splits, M, N)
  const partials = scratch(`${label} split-K partials`, splits * m * n * 4);
  const partialSums = await createDispatch(
    device,
    { label: `${label} split ${splits}`, code, entryPoint: 'main', constants: { ...shape, ...rowsConstant, ...variant, SPLIT: splits, K_PER_SPLIT: kPerSplit } },
    [bias, partials, io.a, io.b],
    [x, y, splits],
  );
  const reduce = await createDispatch(
    device,
    { label: `${label} split-K reduce`, code: plainCode, entryPoint: 'reduce_splits', constants: { ...shape, SPLIT: splits, ...epilogue } },
    [bias, io.c, partials],
    grid(m * n, WG),
  );
  return [partialSums, reduce];
}
