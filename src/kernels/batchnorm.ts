/**
 * Batch normalization over NHWC data (per channel over N·H·W; dense [N, C] is H = W = 1),
 * Keras semantics: training forward with batch statistics and moving-average update,
 * inference forward with the moving statistics, the backward through the batch statistics, and
 * the backward of a frozen layer (inference mode in training, as Keras runs trainable = False).
 */
import code from '../../shaders/batchnorm.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

/** Invocations per workgroup: per channel in the reductions, per element in inference. A power of two. */
const WG = 256;

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

function constants(shape: BatchNormShape, options: BatchNormOptions) {
  return {
    ROWS: shape.rows,
    CHANNELS: shape.channels,
    WG,
    MOMENTUM: options.momentum ?? 0.99,
    EPSILON: options.epsilon ?? 1e-3,
    CENTER: options.center ?? true,
    SCALE: options.scale ?? true,
  };
}

/**
 * Training forward, one workgroup per channel.
 *   x, y: (rows, channels)   gammaBeta: (affineRows(options), channels) gamma, beta (those present)
 *   moving: (2, channels) moving mean, moving variance; updated in place
 *   saved: (2, channels) written: batch mean, 1/sqrt(batch variance + epsilon), for the backward
 */
export function batchNormTrainForward(
  device: Device,
  shape: BatchNormShape,
  options: BatchNormOptions,
  io: { x: Binding; gammaBeta: Binding; y: Binding; moving: Binding; saved: Binding },
): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: 'batchnorm train forward', code, entryPoint: 'trainForward', constants: constants(shape, options) },
    [io.x, io.gammaBeta, io.y, io.moving, io.saved],
    [shape.channels],
  );
}

/** Inference forward with the moving statistics. x, y: (rows, channels); gammaBeta as above; moving: (2, channels). */
export function batchNormInferForward(
  device: Device,
  shape: BatchNormShape,
  options: BatchNormOptions,
  io: { x: Binding; gammaBeta: Binding; moving: Binding; y: Binding },
): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: 'batchnorm inference forward', code, entryPoint: 'inferForward', constants: constants(shape, options) },
    [io.x, io.gammaBeta, io.y, io.moving],
    grid(shape.rows * shape.channels, WG),
  );
}

/**
 * Backward through the batch statistics, one workgroup per channel.
 *   x, dY, dX: (rows, channels)   gammaBeta: as above   saved: (2, channels) from the training forward
 *   dGammaBeta: the layout of gammaBeta, written: dGamma, dBeta (those present; with neither, not written)
 */
export function batchNormBackward(
  device: Device,
  shape: BatchNormShape,
  options: BatchNormOptions,
  io: { x: Binding; gammaBeta: Binding; saved: Binding; dY: Binding; dX: Binding; dGammaBeta: Binding },
): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: 'batchnorm backward', code, entryPoint: 'backward', constants: constants(shape, options) },
    [io.x, io.gammaBeta, io.dX, io.saved, io.dY, io.dGammaBeta],
    [shape.channels],
  );
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
  return createDispatch(
    device,
    { label: 'batchnorm frozen backward', code, entryPoint: 'frozenBackward', constants: constants(shape, options) },
    [undefined, io.gammaBeta, io.dX, io.moving, io.dY],
    grid(shape.rows * shape.channels, WG),
  );
}
