/**
 * Gaussian noise at training time (GaussianNoise adds it, GaussianDropout multiplies by it),
 * forward and backward, with normal draws regenerated from a counter-based hash of (step,
 * seed, layer seed, element index), never stored: shaders/noise.wgsl.
 */
import noiseCode from '../../shaders/noise.wgsl';
import randomCode from '../../shaders/random.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

const WG = 256;
/** The kernel with the random bits it draws (shaders/random.wgsl). */
const code = `${noiseCode}\n${randomCode}`;

export interface NoiseOptions {
  /** 'add': y = x + stddev·z (GaussianNoise); 'multiply': y = x·(1 + stddev·z) (GaussianDropout). */
  kind: 'add' | 'multiply';
  stddev: number;
  /** Distinguishes the draws of noise layers in one model (a u32). */
  layerSeed: number;
}

function noiseDispatch(device: Device, label: string, count: number, options: NoiseOptions, bindings: [stepInfo: Binding, input: Binding, output: Binding]): Promise<Dispatch> {
  const constants = { COUNT: count, WG, LAYER_SEED: options.layerSeed >>> 0, STDDEV: options.stddev, MULTIPLY: options.kind === 'multiply' ? 1 : 0 };
  return createDispatch(device, { label, code, entryPoint: 'noise', constants }, bindings, grid(count, WG));
}

/** y = x + stddev·z or x·(1 + stddev·z) over `count` elements. stepInfo: (4) u32 = [step, seed, 0, 0]. */
export function noiseForward(device: Device, count: number, options: NoiseOptions, io: { stepInfo: Binding; x: Binding; y: Binding }): Promise<Dispatch> {
  return noiseDispatch(device, `gaussian noise (${options.kind}) forward`, count, options, [io.stepInfo, io.x, io.y]);
}

/**
 * Multiplied noise's backward, dX = dY·(1 + stddev·z) with the forward's draws (same options
 * and stepInfo). Added noise has none: its gradient passes unchanged.
 */
export function noiseBackward(device: Device, count: number, options: NoiseOptions, io: { stepInfo: Binding; dY: Binding; dX: Binding }): Promise<Dispatch> {
  if (options.kind !== 'multiply') throw new Error('gaussian noise backward: only multiplied noise has one (added noise passes the gradient unchanged)');
  return noiseDispatch(device, 'gaussian noise (multiply) backward', count, options, [io.stepInfo, io.dY, io.dX]);
}
