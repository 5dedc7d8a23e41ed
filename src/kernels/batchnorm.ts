/**
 * Batch normalization over NHWC data (per channel over N·H·W; dense [N, C] is H = W = 1),
 * Keras semantics: training forward with batch statistics and moving-average update,
 * inference forward with the moving statistics, the backward through the batch statistics, and
 * the backward of a frozen layer (inference mode in training, as Keras runs trainable = False).
 */
import code from '../../shaders/batchnorm.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';

/** Invocations per workgroup, in every pass. */
const WG = 64;
/** Rows each invocation of a partial pass sums (as column-sum.ts): long enough to amortise, short enough to spread. */
const ROWS_PER_CHUNK = 128;
/** The most workgroups along a grid's y: the chunks. */
const MAX_CHUNKS = 65535;

export interface BatchNormShape {
  /** N·H·W: the positions each channel's statistics run over. */
  rows: number;
  channels: number;
}

export interface BatchNormOptions {
  /** Keras defaults: momentum 0.99, epsilon 1e-3, center and scale on. */
  momentum?: number;
  epsilon?: number;
  /** false: no beta (gammaBeta and dGammaBeta hold no row for it). */
  center?: boolean;
  /** false: no gamma (likewise). */
  scale?: boolean;
}

/**
 * Rows of gammaBeta and dGammaBeta: gamma (scale) and beta (center), each where present, as
 * Keras keeps only the weights present. With neither, the kernels bind the buffers given but do
 * not touch them.
 */
export function affineRows(options: BatchNormOptions): number {
  return Number(options.scale ?? true) + Number(options.center ?? true);
}

/** Rows per chunk: ROWS_PER_CHUNK, or more where that would make more than MAX_CHUNKS chunks. */
function chunkRows(shape: BatchNormShape): number {
  return Math.max(ROWS_PER_CHUNK, Math.ceil(shape.rows / MAX_CHUNKS));
}

function chunkCount(shape: BatchNormShape): number {
  return Math.ceil(shape.rows / chunkRows(shape));
}

function constants(shape: BatchNormShape, options: BatchNormOptions) {
  return {
    ROWS: shape.rows,
    CHANNELS: shape.channels,
    CHUNKS: chunkCount(shape),
    ROWS_PER_CHUNK: chunkRows(shape),
    WG,
    MOMENTUM: options.momentum ?? 0.99,
    EPSILON: options.epsilon ?? 1e-3,
    CENTER: options.center ?? true,
    SCALE: options.scale ?? true,
  };
}

/** The shader's binding numbers; `out` is y or dX. */
const BINDINGS = { x: 0, gammaBeta: 1, out: 2, moving: 3, saved: 4, partials: 5, channelSums: 6, dY: 7, dGammaBeta: 8 } as const;
type Bound = Partial<Record<keyof typeof BINDINGS, Binding>>;

/** One entry point of the shader over `workgroups`, the buffers it uses bound by name; labelled `label: entryPoint`. */
function pass(device: Device, shape: BatchNormShape, options: BatchNormOptions, label: string, entryPoint: string, bound: Bound, workgroups: [number, number?]): Promise<Dispatch> {
  const bindings: (Binding | undefined)[] = [];
  for (const [name, binding] of Object.entries(bound)) bindings[BINDINGS[name as keyof Bound]] = binding;
  return createDispatch(device, { label: `${label}: ${entryPoint}`, code, entryPoint, constants: constants(shape, options) }, bindings, workgroups);
}

/** The grids: per (channel, chunk) for partial sums, per channel for their finish, per element. */
function grids(shape: BatchNormShape): Record<'partial' | 'finish' | 'element', [number, number?]> {
  const channelGroups = Math.ceil(shape.channels / WG);
  return { partial: [channelGroups, chunkCount(shape)], finish: [channelGroups], element: grid(shape.rows * shape.channels, WG) };
}

/**
 * Training forward: the batch statistics, the moving-average update, y. Five dispatches; the
 * partial sums' scratch buffer (chunks, channels) is taken from `scratch` once.
 *   x, y: (rows, channels)   gammaBeta: (affineRows(options), channels) gamma, beta (those present)
 *   moving: (2, channels) moving mean, moving variance; updated in place
 *   saved: (2, channels) written: batch mean, 1/sqrt(batch variance + epsilon), for the backward
 */
export async function batchNormTrainForward(
  device: Device,
  shape: BatchNormShape,
  options: BatchNormOptions,
  io: { x: Binding; gammaBeta: Binding; y: Binding; moving: Binding; saved: Binding },
  scratch: Scratch,
): Promise<Dispatch[]> {
  const partials = scratch('batchnorm partial sums', chunkCount(shape) * shape.channels * 4);
  const g = grids(shape);
  const run = (entry: string, bound: Bound, workgroups: [number, number?]) => pass(device, shape, options, 'batchnorm train forward', entry, bound, workgroups);
  const { x, saved } = io;
  return [
    await run('shiftedSums', { x, partials }, g.partial),
    await run('finishMean', { x, saved, partials }, g.finish),
    await run('centeredSquares', { x, saved, partials }, g.partial),
    await run('finishVariance', { moving: io.moving, saved, partials }, g.finish),
    await run('normalize', { x, gammaBeta: io.gammaBeta, out: io.y, saved }, g.element),
  ];
}

/** Inference forward with the moving statistics. x, y: (rows, channels); gammaBeta as above; moving: (2, channels). */
export function batchNormInferForward(
  device: Device,
  shape: BatchNormShape,
  options: BatchNormOptions,
  io: { x: Binding; gammaBeta: Binding; moving: Binding; y: Binding },
): Promise<Dispatch> {
  return pass(device, shape, options, 'batchnorm inference forward', 'inferForward', { x: io.x, gammaBeta: io.gammaBeta, out: io.y, moving: io.moving }, grids(shape).element);
}

/**
 * Backward through the batch statistics. Three dispatches; scratch buffers (chunks, 2, channels)
 * and (2, channels) are taken from `scratch` once.
 *   x, dY, dX: (rows, channels)   gammaBeta: as above   saved: (2, channels) from the training forward
 *   dGammaBeta: the layout of gammaBeta, written: dGamma, dBeta (those present; with neither, not written)
 */
export async function batchNormBackward(
  device: Device,
  shape: BatchNormShape,
  options: BatchNormOptions,
  io: { x: Binding; gammaBeta: Binding; saved: Binding; dY: Binding; dX: Binding; dGammaBeta: Binding },
  scratch: Scratch,
): Promise<Dispatch[]> {
  const partials = scratch('batchnorm gradient partial sums', chunkCount(shape) * 2 * shape.channels * 4);
  const channelSums = scratch('batchnorm gradient sums', 2 * shape.channels * 4);
  const g = grids(shape);
  const run = (entry: string, bound: Bound, workgroups: [number, number?]) => pass(device, shape, options, 'batchnorm backward', entry, bound, workgroups);
  const { x, saved, dY, dGammaBeta } = io;
  return [
    await run('gradientSums', { x, saved, partials, dY }, g.partial),
    await run('finishGradient', { partials, channelSums, dGammaBeta }, g.finish),
    await run('backwardInput', { x, gammaBeta: io.gammaBeta, out: io.dX, saved, channelSums, dY }, g.element),
  ];
}

/**
 * Backward of a frozen layer, which ran batchNormInferForward in training:
 * dX = dY·gamma/sqrt(moving variance + epsilon). Its weights get no gradient.
 *   dY, dX: (rows, channels)   gammaBeta: as above   moving: (2, channels) moving mean, moving variance
 */
export function batchNormFrozenBackward(
  device: Device,
  shape: BatchNormShape,
  options: BatchNormOptions,
  io: { gammaBeta: Binding; moving: Binding; dY: Binding; dX: Binding },
): Promise<Dispatch> {
  return pass(device, shape, options, 'batchnorm frozen backward', 'frozenBackward', { gammaBeta: io.gammaBeta, out: io.dX, moving: io.moving, dY: io.dY }, grids(shape).element);
}
