/**
 * The shapes a model's training step runs, derived from its layers exactly as the layers
 * record their ops (src/nn/layers/*.ts, src/graph/autodiff.ts): every GEMM of every layer's
 * forward and backward at a batch size, and every other kernel with its size. bench/index.ts
 * checks the GEMM list against the labels of the model's compiled training step.
 */
import { CONV_ALGORITHMS, convAlgorithmCandidates, winogradTileOf, type ConvAlgorithm, type ConvAlgorithms as LayerAlgorithms } from '../src/kernels/conv-algorithm.js';
import type { ConvParams, Im2colKernel } from '../src/kernels/im2col.js';
import { windowGeometry } from '../src/nn/layers/conv-window.js';
import { poolGeometry, type MaxPoolBackwardKernel, type PoolParams } from '../src/kernels/pool.js';
import type { OptimizerKind } from '../src/kernels/optimizer.js';
import { BatchNormalization } from '../src/nn/layers/batchnorm.js';
import { Conv2D } from '../src/nn/layers/conv2d.js';
import { Dense } from '../src/nn/layers/dense.js';
import { Dropout } from '../src/nn/layers/dropout.js';
import { Flatten } from '../src/nn/layers/flatten.js';
import { AveragePooling2D, MaxPooling2D } from '../src/nn/layers/pooling.js';
import { Activation } from '../src/nn/layers/activation.js';
import type { Sequential } from '../src/nn/sequential.js';
import type { MatmulKernel } from '../src/kernels/matmul.js';
import { forwardGeometry, inputGradientGeometry, weightGradientSplits, winogradPositions, winogradTiles, type WinogradGeometry } from '../src/kernels/winograd.js';
import { elements } from '../src/data/shape.js';

/** C[M, N] = op(A)·op(B) (+ bias) (then ReLU) (then the ReLU mask), as src/kernels/matmul.ts takes it. */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  bias: boolean;
  relu: boolean;
  /** Zeroes C where a (M, N) mask ≤ 0: the backward of the ReLU before a layer, in its dX. */
  reluMask?: boolean;
  /** Forces the number of K slices (the engine's heuristic chooses otherwise). */
  splitK?: number;
  /** Forces the shader (the engine chooses the quad kernel where the device has quads). */
  kernel?: MatmulKernel;
  /** Independent products in one dispatch (Winograd's 16), each M×N×K. */
  batch?: number;
}

export type GemmRole = 'forward' | 'dW' | 'dX';

/** One kernel call of a training step, with what it needs to be built on its own. */
export type KernelSpec =
  | { family: 'matmul'; gemm: GemmShape }
  /** kernel: forces a candidate (the bench's candidate table); otherwise the tuner picks. */
  | { family: 'im2col'; conv: ConvParams; kernel?: Im2colKernel }
  /** reluInput: x is a ReLU's output whose backward col2im applies (src/graph/autodiff.ts). */
  | { family: 'col2im'; conv: ConvParams; reluInput: boolean }
  | { family: 'max pool forward' | 'avg pool forward' | 'avg pool backward'; pool: PoolParams }
  | { family: 'max pool backward'; pool: PoolParams; kernel?: MaxPoolBackwardKernel }
  /**
   * One direction of a conv layer by its algorithm (src/kernels/conv-algorithm.ts): the chain
   * the tuner compares, not one kernel; `algorithm` forces one, otherwise the tuner picks.
   */
  | { family: 'conv forward' | 'conv input gradient'; conv: ConvParams; filters: number; algorithm?: ConvAlgorithm }
  /** The weight gradient after a forward by `forward` (whose col or V it reuses when the algorithms match). */
  | { family: 'conv weight gradient'; conv: ConvParams; filters: number; forward: ConvAlgorithm; algorithm?: ConvAlgorithm }
  /**
   * One of a Winograd convolution's transforms (its products are a batched matmul); 'gradient'
   * and 'dW output' are the weight gradient's (dZ → U', the products → dW).
   */
  | { family: 'winograd transform'; stage: WinogradStage; geometry: WinogradGeometry }
  | { family: 'activation forward' | 'activation backward'; activation: 'relu' | 'sigmoid' | 'tanh'; count: number }
  | { family: 'column sum'; rows: number; cols: number }
  | { family: 'dropout'; count: number; rate: number }
  | { family: 'batchnorm forward' | 'batchnorm backward'; rows: number; channels: number }
  | { family: 'softmax cross-entropy'; batch: number; classes: number }
  | { family: 'optimizer'; kind: OptimizerKind; count: number };

export type WinogradStage = 'weight' | 'input' | 'output' | 'gradient' | 'dW output';

/** A kernel call and where it comes from, e.g. "mnist-cnn conv2d_1 dW". */
export interface KernelUse {
  spec: KernelSpec;
  use: string;
  /** The label its first dispatch starts with, where the use does not give it (Winograd's stages). */
  label?: string;
}

export function gemmFlops(g: GemmShape): number {
  return 2 * (g.batch ?? 1) * g.m * g.n * g.k;
}

export const square = (size: number, extra: Partial<GemmShape> = {}): GemmShape => ({
  m: size,
  n: size,
  k: size,
  transA: false,
  transB: false,
  bias: false,
  relu: false,
  ...extra,
});

/**
 * The three GEMMs of a linear core (Dense, or Conv2D over its im2col matrix), as
 * src/nn/layers/linear.ts records them: y = a·W (+b, ReLU fused), dW = aᵀ·dZ, dA = dZ·Wᵀ
 * (masked by a when a is a ReLU's output, `reluMask`). The first layer's input gradient is
 * never computed.
 */
function linearGemms(rows: number, inner: number, units: number, bias: boolean, relu: boolean, reluMask: boolean, first: boolean): [GemmRole, GemmShape][] {
  const gemms: [GemmRole, GemmShape][] = [
    ['forward', { m: rows, n: units, k: inner, transA: false, transB: false, bias, relu }],
    ['dW', { m: inner, n: units, k: rows, transA: true, transB: false, bias: false, relu: false }],
  ];
  if (!first) gemms.push(['dX', { m: rows, n: inner, k: units, transA: false, transB: true, bias: false, relu: false, ...(reluMask ? { reluMask } : {}) }]);
  return gemms;
}

/** The model's flat parameter count as the optimizer sees it (each tensor 256-byte aligned). */
export function optimizerCount(model: Sequential): number {
  model.build();
  let end = 0;
  for (const layer of model.layers) {
    for (const slot of layer.weightSlots) if (slot.trainable) end = Math.max(end, Math.ceil((slot.offset + slot.elements) / 64) * 64);
  }
  return end;
}

/** A conv layer's algorithms, forward and input gradient (Conv2D.algorithmsAt). */
export type ConvAlgorithms = (layer: Conv2D) => LayerAlgorithms | undefined;

/** Every conv by im2col + matmul: the step's nominal form, whose GEMMs stepFlops counts. */
const IM2COL_FORM: LayerAlgorithms = { forward: 'im2col', inputGradient: 'im2col', weightGradient: 'im2col' };

/**
 * The four dispatches of a Winograd convolution (src/kernels/winograd.ts), each with the label
 * src/nn/layers/conv2d-winograd.ts gives it (`label` + the stage).
 */
function winogradUses(geometry: WinogradGeometry, label: string, use: string): KernelUse[] {
  const products: GemmShape = { m: winogradTiles(geometry), n: geometry.cout, k: geometry.cin, batch: winogradPositions(geometry.tile), transA: false, transB: false, bias: false, relu: false };
  return [
    { spec: { family: 'winograd transform', stage: 'weight', geometry }, use, label: `${label} weight transform` },
    { spec: { family: 'winograd transform', stage: 'input', geometry }, use, label: `${label} input transform` },
    { spec: { family: 'matmul', gemm: products }, use, label: `${label} products` },
    { spec: { family: 'winograd transform', stage: 'output', geometry }, use, label: `${label} output transform` },
  ];
}

/**
 * The dispatches of a Winograd weight gradient (winogradWeightGradient), each with the label
 * conv2d-winograd.ts gives it: the input transform only where the forward left no V.
 */
function winogradWeightGradientUses(geometry: WinogradGeometry, label: string, use: string, transformInput: boolean): KernelUse[] {
  const splits = weightGradientSplits(geometry);
  const products: GemmShape = { m: geometry.cin, n: geometry.cout, k: winogradTiles(geometry) / splits, batch: winogradPositions(geometry.tile) * splits, transA: true, transB: false, bias: false, relu: false };
  const stage = (name: WinogradStage, what: string): KernelUse => ({ spec: { family: 'winograd transform', stage: name, geometry }, use, label: `${label} ${what}` });
  return [
    ...(transformInput ? [stage('input', 'input transform')] : []),
    stage('gradient', 'gradient transform'),
    { spec: { family: 'matmul', gemm: products }, use, label: `${label} products` },
    stage('dW output', 'output transform'),
  ];
}

/**
 * Every kernel call of one training step of `model` at `batch`, in recording order for the
 * forward, then the backward (reverse layer order), the loss, the optimizer. `tag` prefixes
 * each use (the preset's name). Conv layers take `algorithms` (those of a compiled step, to
 * pair with its dispatches), or by default the im2col form.
 */
export function trainingKernels(model: Sequential, optimizer: OptimizerKind, batch: number, tag: string, algorithms?: ConvAlgorithms): KernelUse[] {
  model.build();
  const { reluInput, reluApplied } = reluFusion(model);
  const forward: KernelUse[] = [];
  const backward: KernelUse[][] = [];
  let shape = model.inputShape;
  model.layers.forEach((layer, index) => {
    const first = index === 0;
    const at = (what: string) => `${tag} ${layer.name} ${what}`;
    const back: KernelUse[] = [];
    if (layer instanceof Conv2D || layer instanceof Dense) {
      let rows: number;
      let inner: number;
      let units: number;
      let conv: ConvParams | undefined;
      let algorithm = IM2COL_FORM;
      if (layer instanceof Conv2D) {
        const p = convParams(layer, shape, batch);
        rows = batch * p.outH * p.outW;
        inner = p.kernelH * p.kernelW * p.channels;
        units = layer.filters;
        // A 1×1 window with stride 1 makes col the input itself: no im2col, no col2im.
        if (!(inner === p.channels && p.strideH === 1 && p.strideW === 1 && p.padding === 'valid')) conv = p;
        algorithm = algorithms?.(layer) ?? IM2COL_FORM;
      } else {
        rows = batch;
        inner = shape[0];
        units = layer.units;
      }
      // A Dense's or a pointwise conv's input is its matmul's A: the dX matmul applies the ReLU's
      // backward; otherwise col2im or Winograd's output transform does.
      const activation = layer.activation;
      const relu = activation === 'relu';
      const [[, forwardGemm], [, dWGemm], dX] = linearGemms(rows, inner, units, layer.useBias, relu, reluInput[index] && !conv, first);
      const forwardTile = winogradTileOf(algorithm.forward);
      const weightTile = winogradTileOf(algorithm.weightGradient);
      const inputTile = winogradTileOf(algorithm.inputGradient);
      if (conv && forwardTile !== undefined) {
        forward.push(...winogradUses(forwardGeometry(conv, units, forwardTile), `${layer.name} winograd`, at('forward')));
      } else {
        if (conv) forward.push({ spec: { family: 'im2col', conv }, use: at('forward') });
        forward.push({ spec: { family: 'matmul', gemm: forwardGemm }, use: at('forward') });
      }
      const separate = activation === 'sigmoid' || activation === 'tanh' ? activation : undefined;
      if (separate) forward.push({ spec: { family: 'activation forward', activation: separate, count: rows * units }, use: at('forward') });
      // Backward, in linear.ts' and conv2d.ts' order: activation gradient, dW by Winograd (its
      // input transform after an im2col forward) or by matmul (the im2col it needs after a
      // Winograd forward) (+ bias gradient), dX (then col2im, or by Winograd).
      if (separate || (relu && !reluApplied[index])) {
        back.push({ spec: { family: 'activation backward', activation: separate ?? 'relu', count: rows * units }, use: at('backward') });
      }
      if (conv && weightTile !== undefined) {
        back.push(...winogradWeightGradientUses(forwardGeometry(conv, units, weightTile), `${layer.name} winograd dW`, at('dW'), forwardTile !== weightTile));
      } else {
        if (conv && forwardTile !== undefined) back.push({ spec: { family: 'im2col', conv }, use: at('dW') });
        back.push({ spec: { family: 'matmul', gemm: dWGemm }, use: at('dW') });
      }
      if (layer.useBias) back.push({ spec: { family: 'column sum', rows, cols: units }, use: at('bias gradient') });
      if (dX && conv && inputTile !== undefined) {
        back.push(...winogradUses(inputGradientGeometry(conv, units, inputTile), `${layer.name} winograd dX${reluInput[index] ? ' +relu backward' : ''}`, at('dX')));
      } else if (dX) {
        back.push({ spec: { family: 'matmul', gemm: dX[1] }, use: at('dX') });
        if (conv) back.push({ spec: { family: 'col2im', conv, reluInput: reluInput[index] }, use: at('backward') });
      }
    } else if (layer instanceof MaxPooling2D || layer instanceof AveragePooling2D) {
      const [height, width, channels] = shape;
      const geometry = poolGeometry({ height, width, poolH: layer.poolSize[0], poolW: layer.poolSize[1], strideH: layer.strides[0], strideW: layer.strides[1], padding: layer.padding });
      const pool: PoolParams = { ...geometry, batch, channels };
      const kind = layer instanceof MaxPooling2D ? 'max' : 'avg';
      forward.push({ spec: { family: `${kind} pool forward`, pool }, use: at('forward') });
      back.push({ spec: { family: `${kind} pool backward`, pool }, use: at('backward') });
    } else if (layer instanceof Dropout) {
      const count = batch * elements(shape);
      if (layer.rate > 0) {
        forward.push({ spec: { family: 'dropout', count, rate: layer.rate }, use: at('forward') });
        back.push({ spec: { family: 'dropout', count, rate: layer.rate }, use: at('backward') });
      }
    } else if (layer instanceof BatchNormalization) {
      const channels = shape[shape.length - 1];
      const rows = (batch * elements(shape)) / channels;
      forward.push({ spec: { family: 'batchnorm forward', rows, channels }, use: at('forward') });
      back.push({ spec: { family: 'batchnorm backward', rows, channels }, use: at('backward') });
    } else if (layer instanceof Activation) {
      const count = batch * elements(shape);
      const kind = layer.activation;
      if (kind === 'relu' || kind === 'sigmoid' || kind === 'tanh') {
        forward.push({ spec: { family: 'activation forward', activation: kind, count }, use: at('forward') });
        if (!(kind === 'relu' && reluApplied[index])) back.push({ spec: { family: 'activation backward', activation: kind, count }, use: at('backward') });
      }
    } else if (!(layer instanceof Flatten)) {
      throw new Error(`bench: no shapes known for ${layer.className} layer '${layer.name}'`);
    }
    backward.push(back);
    shape = layer.outputShape;
  });
  const classes = model.outputShape[0];
  return [
    ...forward,
    { spec: { family: 'softmax cross-entropy', batch, classes }, use: `${tag} loss` },
    ...backward.reverse().flat(),
    { spec: { family: 'optimizer', kind: optimizer, count: optimizerCount(model) }, use: `${tag} ${optimizer} update` },
  ];
}

/**
 * Where the step compiler fuses a ReLU's backward into the next layer (src/graph/autodiff.ts,
 * the layers' record()): per layer, whether its input is a ReLU's output left to it
 * (reluInput) and whether the gradient flowing into it has its own ReLU's backward applied
 * (reluApplied). Mirrors the layers' rules, as the rest of this file mirrors their kernels.
 */
function reluFusion(model: Sequential): { reluInput: boolean[]; reluApplied: boolean[] } {
  const { layers } = model;
  const reluInput: boolean[] = [];
  let previousRelu = false;
  for (const layer of layers) {
    reluInput.push(previousRelu);
    if (layer instanceof Conv2D || layer instanceof Dense) previousRelu = layer.activation === 'relu';
    else if (layer instanceof Activation) previousRelu = layer.activation === 'relu' || ((layer.activation === 'linear' || layer.activation === 'softmax') && previousRelu);
    else if (!(layer instanceof Flatten || layer instanceof Dropout)) previousRelu = false;
  }
  // Walk back from the loss's gradient (no ReLU applied), each layer turning the flag it receives into the one it returns.
  const reluApplied = new Array<boolean>(layers.length).fill(false);
  let flowing = false;
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    reluApplied[i] = flowing;
    // Conv2D: col2im, or a pointwise conv's dX matmul; Dense: its dX matmul.
    if (layer instanceof Conv2D || layer instanceof Dense) flowing = reluInput[i];
    else if (layer instanceof MaxPooling2D) flowing = reluInput[i];
    else if (layer instanceof Flatten || layer instanceof Dropout) flowing = reluApplied[i];
    else if (layer instanceof Activation && (layer.activation === 'linear' || layer.activation === 'softmax')) flowing = reluApplied[i];
    else flowing = false;
  }
  return { reluInput, reluApplied };
}

/** A conv layer's window over an input of `shape` (H, W, C), at `batch`. */
function convParams(layer: Conv2D, shape: readonly number[], batch: number): ConvParams {
  const geometry = windowGeometry(layer, shape, (message) => {
    throw new Error(`${layer.name}: ${message}`);
  });
  return { ...geometry, batch, channels: shape[2] };
}

/**
 * Every conv layer direction of a training step of `model` at `batch` whose algorithm the tuner
 * chooses (more than one candidate: 3×3, stride 1): the forward, the input gradient of every
 * layer but the first, and the weight gradient after either forward. `tag` prefixes each use
 * (the preset's name).
 */
export function tunedConvs(model: Sequential, batch: number, tag: string): KernelUse[] {
  model.build();
  const uses: KernelUse[] = [];
  let shape = model.inputShape;
  model.layers.forEach((layer, index) => {
    if (layer instanceof Conv2D) {
      const conv = convParams(layer, shape, batch);
      if (convAlgorithmCandidates(conv).length > 1) {
        uses.push({ spec: { family: 'conv forward', conv, filters: layer.filters }, use: `${tag} ${layer.name} forward` });
        if (index > 0) uses.push({ spec: { family: 'conv input gradient', conv, filters: layer.filters }, use: `${tag} ${layer.name} dX` });
        for (const forward of CONV_ALGORITHMS) {
          uses.push({ spec: { family: 'conv weight gradient', conv, filters: layer.filters, forward }, use: `${tag} ${layer.name} dW after ${forward} forward` });
        }
      }
    }
    shape = layer.outputShape;
  });
  return uses;
}

/** FLOPs of one training step: its GEMMs (2·M·N·K each); the element-wise kernels are left out. */
export function stepFlops(kernels: readonly KernelUse[]): number {
  return kernels.reduce((sum, k) => sum + (k.spec.family === 'matmul' ? gemmFlops(k.spec.gemm) : 0), 0);
}
