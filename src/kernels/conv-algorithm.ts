/**
 * How a conv layer computes its forward pass, input gradient and weight gradient: im2col + matmul (any
 * kernel, stride, padding), Winograd F(2×2, 3×3) ('winograd') or F(4×4, 3×3) ('winograd4')
 * (3×3, stride 1), one contract. The tuner (src/runtime/tuner.ts) picks per (direction, shape,
 * adapter) by timing the chains, as for the matmul's kernels; the untimed default is im2col
 * (tuning 'off', and every adapter class: Winograd's products are 16 or 36 matmuls with K = CIN,
 * where this adapter's matmul is at its slowest, so it wins only where the measurement says so).
 * F(4×4) does fewer multiply-adds than F(2×2) but pads an output whose sides are not multiples
 * of 4 to them (10×10 computes 12×12) and rounds more; which is faster depends on the shape.
 *   forward:         im2col(x) · W (+ bias, ReLU)            | Winograd (+ bias, ReLU in its output transform)
 *   input gradient:  col2im(dZ · Wᵀ) (+ previous ReLU's mask) | Winograd on the rotated kernel (+ the mask)
 *   weight gradient: colᵀ · dZ                                | Winograd F(3×3, tile×tile) on the forward's V
 * The weight gradient's input side is the forward's when the algorithms match (col, or V, kept
 * from the forward; Winograd's V only from a forward with the same tile) and computed in the
 * backward when they do not (im2col, or the input transform): its choice is made after the
 * forward's and timed with that. The bias gradient (Σ dZ) is the same in all and not timed.
 */
import type { Device } from '../device/device.js';
import type { Binding, Dispatch } from '../runtime/dispatch.js';
import { ScratchOwner, type Scratch } from '../runtime/scratch.js';
import { chooseCandidate, tuningKey } from '../runtime/tuner.js';
import { col2im, defaultIm2col, im2col, IM2COL_SHADERS } from './im2col.js';
import { chooseKernel, matmul, MATMUL_SHADERS } from './matmul.js';
import {
  forwardGeometry,
  inputGradientGeometry,
  weightGradientSizes,
  weightGradientSplits,
  WINOGRAD_SHADERS,
  winogradConv,
  winogradProblem,
  winogradSizes,
  winogradTiles,
  winogradWeightGradient,
  type WinogradTile,
} from './winograd.js';
import { windowKey, type WindowParams } from './window.js';

export const CONV_ALGORITHMS = ['im2col', 'winograd', 'winograd4'] as const;
export type ConvAlgorithm = (typeof CONV_ALGORITHMS)[number];

/** The output tile of a Winograd algorithm (2 for 'winograd', 4 for 'winograd4'); undefined for im2col. */
export function winogradTileOf(algorithm: ConvAlgorithm): WinogradTile | undefined {
  return algorithm === 'winograd' ? 2 : algorithm === 'winograd4' ? 4 : undefined;
}
export type ConvDirection = 'forward' | 'input gradient' | 'weight gradient';
/** A conv layer's algorithm per direction. */
export interface ConvAlgorithms {
  forward: ConvAlgorithm;
  inputGradient: ConvAlgorithm;
  weightGradient: ConvAlgorithm;
}

/** The algorithms that can run this convolution. */
export function convAlgorithmCandidates(p: WindowParams): ConvAlgorithm[] {
  return winogradProblem(p) === undefined ? [...CONV_ALGORITHMS] : ['im2col'];
}

/**
 * Timing runs do at most this many multiply-adds ×2 of the direct convolution: larger batches
 * are timed on fewer images. The chains' costs are per image, so their ratio holds, once the
 * batch is large enough for Winograd's products (one row per tile) to run at their per-row
 * cost: the proxy keeps at least TUNING_MIN_OUTPUT_PIXELS output pixels (256 4×4 tiles) where
 * the batch has them. (mnist-bn's conv2d_1 input gradient, bench/winograd.ts: F(4×4) ÷ F(2×2)
 * time 0.90 at batch 1, 0.67 at batch 6, 0.71 at batch 128; timed at batch 1, the FLOPs cap
 * alone, the tuner picked F(2×2) for it.)
 */
const TUNING_MAX_FLOPS = 2 ** 26;
const TUNING_MIN_OUTPUT_PIXELS = 4096;

/** The batch a conv layer's algorithms are timed at (see TUNING_MAX_FLOPS). */
export function tuningBatch(p: WindowParams, cout: number): number {
  const flops = 2 * p.batch * p.outH * p.outW * p.kernelH * p.kernelW * p.channels * cout;
  const withinFlops = Math.floor((p.batch * TUNING_MAX_FLOPS) / flops);
  const enoughPixels = Math.ceil(TUNING_MIN_OUTPUT_PIXELS / (p.outH * p.outW));
  return Math.max(1, Math.min(p.batch, Math.max(withinFlops, enoughPixels)));
}

/**
 * Every shader text the chains dispatch: the choice compares the Winograds against im2col +
 * matmul, so a change to any of them can turn it.
 */
export const CONV_ALGORITHM_SHADERS: readonly string[] = [...WINOGRAD_SHADERS, ...IM2COL_SHADERS, ...MATMUL_SHADERS];

/** The buffers both chains of one direction read and write (contents do not matter to the time). */
export interface ConvChainBuffers {
  /** (N, H, W, CIN): the input, also the ReLU output that masks an input gradient. */
  x: Binding;
  /** (3, 3, CIN, COUT) HWIO */
  w: Binding;
  /** (COUT) */
  bias: Binding;
  /** (N, OH, OW, COUT): the output, or dZ for the input gradient. */
  y: Binding;
  /** (N, H, W, CIN) */
  dX: Binding;
  /** (N·OH·OW, KH·KW·CIN): col, or dCol */
  col: Binding;
  /** (KH, KW, CIN, COUT): the weight gradient. */
  dW: Binding;
  /** Winograd's U, V and M (winogradSizes, weightGradientSizes), large enough for every direction and tile; absent without Winograd. */
  u?: Binding;
  v?: Binding;
  m?: Binding;
}

/** Creates the chains' buffers from `scratch`. */
export function convChainBuffers(p: WindowParams, cout: number, scratch: Scratch, label: string): ConvChainBuffers {
  const image = p.batch * p.height * p.width * p.channels * 4;
  const rows = p.batch * p.outH * p.outW;
  const buffers: ConvChainBuffers = {
    x: scratch(`${label} x`, image),
    w: scratch(`${label} w`, p.kernelH * p.kernelW * p.channels * cout * 4),
    bias: scratch(`${label} bias`, cout * 4),
    y: scratch(`${label} y`, rows * cout * 4),
    dX: scratch(`${label} dX`, image),
    col: scratch(`${label} col`, rows * p.kernelH * p.kernelW * p.channels * 4),
    dW: scratch(`${label} dW`, p.kernelH * p.kernelW * p.channels * cout * 4),
  };
  if (winogradProblem(p) !== undefined) return buffers;
  const sizes = ([2, 4] as const).flatMap((tile) => [
    winogradSizes(forwardGeometry(p, cout, tile)),
    winogradSizes(inputGradientGeometry(p, cout, tile)),
    weightGradientSizes(forwardGeometry(p, cout, tile)),
  ]);
  const largest = (part: 'u' | 'v' | 'm') => Math.max(...sizes.map((s) => s[part])) * 4;
  return { ...buffers, u: scratch(`${label} U`, largest('u')), v: scratch(`${label} V`, largest('v')), m: scratch(`${label} M`, largest('m')) };
}

/**
 * One direction of a conv layer by one algorithm, on `buffers`: the forward with bias and ReLU,
 * the input gradient with the previous layer's ReLU mask (the layers' usual case), the weight
 * gradient after a forward by `forward` (its col or V kept when the algorithms match, else
 * computed first; default: the same algorithm, nothing recomputed). Each chain's
 * matmul and im2col kernels are the tuner's choice for their shapes, or with `untimedKernels`
 * the untimed defaults, so that timing the chains on a proxy times no shapes of their own.
 */
export async function convChain(
  device: Device,
  p: WindowParams,
  cout: number,
  direction: ConvDirection,
  algorithm: ConvAlgorithm,
  b: ConvChainBuffers,
  scratch: Scratch,
  label: string,
  untimedKernels = false,
  forward: ConvAlgorithm = algorithm,
): Promise<Dispatch[]> {
  const rows = p.batch * p.outH * p.outW;
  const inner = p.kernelH * p.kernelW * p.channels;
  const kernel = (m: number, k: number) => (untimedKernels ? chooseKernel(device, m, k) : undefined);
  const tile = winogradTileOf(algorithm);
  if (tile !== undefined) {
    if (!b.u || !b.v || !b.m) throw new Error(`${label}: Winograd needs its U, V and M buffers`);
    const winograd = { u: b.u, v: b.v, m: b.m };
    if (direction === 'weight gradient') {
      const g = forwardGeometry(p, cout, tile);
      const options = { label, matmulKernel: kernel(g.cin, winogradTiles(g) / weightGradientSplits(g)) };
      return winogradWeightGradient(device, g, { ...winograd, x: forward === algorithm ? undefined : b.x, dZ: b.y, dW: b.dW }, options, scratch);
    }
    if (direction === 'forward') {
      const g = forwardGeometry(p, cout, tile);
      const options = { relu: true, label, matmulKernel: kernel(winogradTiles(g), g.cin) };
      return winogradConv(device, g, { ...winograd, x: b.x, w: b.w, y: b.y, bias: b.bias }, options, scratch);
    }
    const g = inputGradientGeometry(p, cout, tile);
    const options = { inputGradient: true, label, matmulKernel: kernel(winogradTiles(g), g.cin) };
    return winogradConv(device, g, { ...winograd, x: b.y, w: b.w, y: b.dX, reluOutput: b.x }, options, scratch);
  }
  if (direction === 'weight gradient') {
    const params = { m: inner, n: cout, k: rows, transA: true, kernel: kernel(inner, rows), label: `${label} dW` };
    const im2colFirst = forward === 'im2col' ? [] : [await im2col(device, p, { x: b.x, col: b.col }, untimedKernels ? defaultIm2col(p) : undefined)];
    return [...im2colFirst, ...(await matmul(device, params, { a: b.col, b: b.y, c: b.dW }, scratch))];
  }
  if (direction === 'forward') {
    const params = { m: rows, n: cout, k: inner, bias: true, activation: 'relu', kernel: kernel(rows, inner), label: `${label} matmul` } as const;
    return [
      await im2col(device, p, { x: b.x, col: b.col }, untimedKernels ? defaultIm2col(p) : undefined),
      ...(await matmul(device, params, { a: b.col, b: b.w, c: b.y, bias: b.bias }, scratch)),
    ];
  }
  const params = { m: rows, n: inner, k: cout, transB: true, kernel: kernel(rows, cout), label: `${label} dX` };
  return [
    ...(await matmul(device, params, { a: b.y, b: b.w, c: b.col }, scratch)),
    await col2im(device, p, { dCol: b.col, dX: b.dX, reluOutput: b.x }),
  ];
}

/**
 * The cache key of a conv layer's choice: direction (for the weight gradient, after which
 * forward), shape and padding.
 */
export function convTuningKey(p: WindowParams, cout: number, direction: ConvDirection, forward?: ConvAlgorithm): string {
  const after = weightGradientForward(direction, forward);
  const what = after === undefined ? `conv ${direction}` : `conv ${direction} after ${after} forward`;
  return tuningKey(what, CONV_ALGORITHM_SHADERS, `${p.batch}×${p.height}×${p.width}×${p.channels} → ${cout} ${windowKey(p)}`);
}

/** The forward algorithm a weight gradient's choice depends on (required there, refused elsewhere). */
function weightGradientForward(direction: ConvDirection, forward: ConvAlgorithm | undefined): ConvAlgorithm | undefined {
  if ((direction === 'weight gradient') !== (forward !== undefined)) {
    throw new Error(`conv algorithm: the forward's algorithm is given for the weight gradient, and only for it (direction '${direction}', forward ${forward})`);
  }
  return forward;
}

/**
 * The algorithm for one direction of a conv layer: by device.kernelChoices' mode (see tuner.ts).
 * `forward`: for the weight gradient, the forward's algorithm.
 */
export function chooseConvAlgorithm(device: Device, p: WindowParams, cout: number, direction: ConvDirection, label: string, forward?: ConvAlgorithm): Promise<ConvAlgorithm> {
  return chooseCandidate(device, {
    key: convTuningKey(p, cout, direction, forward),
    candidates: convAlgorithmCandidates(p),
    fallback: 'im2col',
    async prepare() {
      const batch = tuningBatch(p, cout);
      const proxy = { ...p, batch };
      const owner = new ScratchOwner(device);
      const buffers = convChainBuffers(proxy, cout, owner.scratch, `${label} tuning`);
      return {
        timedShape: batch === p.batch ? undefined : `batch ${batch}`,
        build: (algorithm) => convChain(device, proxy, cout, direction, algorithm, buffers, owner.scratch, `${label} tuning ${algorithm}`, true, forward ?? algorithm),
        dispose: () => owner.destroy(),
      };
    },
  });
}
