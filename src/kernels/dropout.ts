/**
 * Inverted dropout at training time, forward and backward. The mask is regenerated from a
 * counter-based hash of (step, seed, layer seed, element index), never stored; the step and
 * seed come from the stepInfo buffer. At inference the layer skips the kernel.
 */
import dropoutCode from '../../shaders/dropout.wgsl';
import randomCode from '../../shaders/random.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

const WG = 256;
/** The kernel with the random bits it draws (shaders/random.wgsl). */
const code = `${dropoutCode}\n${randomCode}`;

export interface DropoutOptions {
  /** Fraction of elements dropped, in [0, 1). */
  rate: number;
  /** Distinguishes the masks of dropout layers in one model (a u32). */
  layerSeed: number;
  /** SpatialDropout2D: one bit per (sample, channel) of NHWC images with this many pixels and channels. */
  spatial?: { pixels: number; channels: number };
  /** AlphaDropout: kept values become a·x + b and dropped ones a·α' + b (alphaDropoutAffine), not x/(1 − rate) and 0. */
  alpha?: boolean;
}

/** SELU's α' = −λα: the value AlphaDropout gives a dropped unit before its affine map. */
const SELU_ALPHA_P = -1.6732632423543772848170429916717 * 1.0507009873554804934193349852946;

/**
 * Keras' AlphaDropout affine map for a rate: a = ((1 − rate)(1 + rate·α'²))^−½, b = −a·α'·rate,
 * which keep a unit-variance, zero-mean SELU input so; `dropped` = a·α' + b.
 */
export function alphaDropoutAffine(rate: number): { a: number; b: number; dropped: number } {
  const a = ((1 - rate) * (1 + rate * SELU_ALPHA_P ** 2)) ** -0.5;
  const b = -a * SELU_ALPHA_P * rate;
  return { a, b, dropped: a * SELU_ALPHA_P + b };
}

/** An element is dropped when its 32 random bits are below this: round(rate · 2³²). */
export function dropThreshold(rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropout rate ${rate} is outside [0, 1)`);
  return Math.min(Math.round(rate * 2 ** 32), 2 ** 32 - 1);
}

function dropoutDispatch(
  device: Device,
  label: string,
  count: number,
  options: DropoutOptions,
  direction: 'forward' | 'backward',
  bindings: [stepInfo: Binding, input: Binding, output: Binding],
): Promise<Dispatch> {
  const affine = options.alpha ? alphaDropoutAffine(options.rate) : undefined;
  const alphaForward = affine !== undefined && direction === 'forward';
  const constants = {
    COUNT: count,
    WG,
    LAYER_SEED: options.layerSeed >>> 0,
    DROP_THRESHOLD: dropThreshold(options.rate),
    KEEP_SCALE: affine ? affine.a : 1 / (1 - options.rate),
    SPATIAL_PIXELS: options.spatial?.pixels ?? 0,
    CHANNELS: options.spatial?.channels ?? 1,
    ...(alphaForward ? { OFFSET: affine.b, DROPPED: affine.dropped } : {}),
  };
  return createDispatch(device, { label, code, entryPoint: alphaForward ? 'alphaDropout' : 'dropout', constants }, bindings, grid(count, WG));
}

/** y = x · mask / (1 − rate) over `count` elements (alpha: a·x + b where kept, a·α' + b where dropped). stepInfo: (4) u32 = [step, seed, 0, 0]. */
export function dropoutForward(
  device: Device,
  count: number,
  options: DropoutOptions,
  io: { stepInfo: Binding; x: Binding; y: Binding },
): Promise<Dispatch> {
  return dropoutDispatch(device, options.alpha ? 'alpha dropout forward' : 'dropout forward', count, options, 'forward', [io.stepInfo, io.x, io.y]);
}

/** dX = dY · mask / (1 − rate) (alpha: dY · mask · a), with the forward's mask (same options, same stepInfo). */
export function dropoutBackward(
  device: Device,
  count: number,
  options: DropoutOptions,
  io: { stepInfo: Binding; dY: Binding; dX: Binding },
): Promise<Dispatch> {
  return dropoutDispatch(device, options.alpha ? 'alpha dropout backward' : 'dropout backward', count, options, 'backward', [io.stepInfo, io.dY, io.dX]);
}
