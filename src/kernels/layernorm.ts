/**
 * Layer normalization over the last axis (Keras' LayerNormalization): forward, input gradient,
 * and the gamma and beta gradients (shaders/layernorm.wgsl).
 */
import code from '../../shaders/layernorm.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';
import { affineRows } from './batchnorm.js';
import { columnSum } from './column-sum.js';

const WG = 64;

export interface LayerNormShape {
  /** Positions normalized one by one: N, or N·H·W. */
  rows: number;
  /** The last axis, normalized over. */
  cols: number;
}

export interface LayerNormOptions {
  /** Keras' defaults: epsilon 1e-3, center and scale on. */
  epsilon?: number;
  /** false: no beta (gammaBeta holds no row for it). */
  center?: boolean;
  /** false: no gamma (likewise). */
  scale?: boolean;
}

function dispatch(device: Device, entryPoint: string, shape: LayerNormShape, options: LayerNormOptions, bindings: (Binding | undefined)[], count: number): Promise<Dispatch> {
  const constants = { ROWS: shape.rows, COLS: shape.cols, EPSILON: options.epsilon ?? 1e-3, CENTER: options.center ?? true, SCALE: options.scale ?? true, WG };
  return createDispatch(device, { label: `layernorm ${entryPoint}`, code, entryPoint, constants }, bindings, grid(count, WG));
}

/**
 * y = gamma·(x − mean)/sqrt(var + epsilon) + beta, per row.
 *   x, y: (rows, cols)   gammaBeta: (scale + center, cols), those present (with neither, any buffer)
 *   saved: (rows, 2) written: each row's mean and 1/sqrt(var + epsilon), for the backward
 */
export function layerNormForward(device: Device, shape: LayerNormShape, options: LayerNormOptions, io: { x: Binding; gammaBeta: Binding; y: Binding; saved: Binding }): Promise<Dispatch> {
  return dispatch(device, 'forward', shape, options, [io.x, io.gammaBeta, io.y, io.saved], shape.rows);
}

/** dX = invStd·(g − mean(g) − xhat·mean(g·xhat)) per row, g = dY·gamma.   x, dY, dX: (rows, cols)   saved: (rows, 2) */
export function layerNormInputGradient(
  device: Device,
  shape: LayerNormShape,
  options: LayerNormOptions,
  io: { x: Binding; gammaBeta: Binding; saved: Binding; dY: Binding; dX: Binding },
): Promise<Dispatch> {
  return dispatch(device, 'backward', shape, options, [io.x, io.gammaBeta, io.dX, io.saved, io.dY], shape.rows);
}

/**
 * dGamma = Σ_rows dY·xhat and dBeta = Σ_rows dY, those present, into dGammaBeta (gammaBeta's
 * layout): the terms into `terms` (rows, affine rows, cols), then their column sums. With neither
 * gamma nor beta, none.
 */
export async function layerNormAffineGradient(
  device: Device,
  shape: LayerNormShape,
  options: LayerNormOptions,
  io: { x: Binding; saved: Binding; dY: Binding; terms: Binding; dGammaBeta: Binding },
  scratch: Scratch,
): Promise<Dispatch[]> {
  const affine = affineRows(options);
  if (affine === 0) return [];
  return [
    await dispatch(device, 'affineTerms', shape, options, [io.x, undefined, io.terms, io.saved, io.dY], shape.rows * shape.cols),
    ...(await columnSum(device, { rows: shape.rows, cols: affine * shape.cols }, { x: io.terms, out: io.dGammaBeta }, scratch)),
  ];
}
