/** PReLU (Keras' parametric ReLU), forward and backward: shaders/prelu.wgsl. */
import code from '../../shaders/prelu.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';
import { columnSum } from './column-sum.js';

const WG = 256;

/** `count` values of which each run of `alphas` shares the alpha vector (alphas divides count). */
export interface PreluSize {
  count: number;
  alphas: number;
}

function dispatch(device: Device, entryPoint: string, { count, alphas }: PreluSize, bindings: (Binding | undefined)[]): Promise<Dispatch> {
  if (!(Number.isInteger(count / alphas) && alphas >= 1)) throw new Error(`prelu: ${alphas} alphas do not divide ${count} values`);
  return createDispatch(device, { label: `prelu ${entryPoint}`, code, entryPoint, constants: { COUNT: count, ALPHAS: alphas, WG } }, bindings, grid(count, WG));
}

/** y = x > 0 ? x : alpha[i % alphas]·x.   x, y: (count)   alpha: (alphas) */
export function preluForward(device: Device, size: PreluSize, io: { x: Binding; alpha: Binding; y: Binding }): Promise<Dispatch> {
  return dispatch(device, 'forward', size, [io.x, io.alpha, io.y]);
}

/** dX = x > 0 ? dY : (x < 0 ? alpha·dY : 0).   x, dY, dX: (count)   alpha: (alphas) */
export function preluInputGradient(device: Device, size: PreluSize, io: { x: Binding; alpha: Binding; dY: Binding; dX: Binding }): Promise<Dispatch> {
  return dispatch(device, 'inputGradient', size, [io.x, io.alpha, io.dX, io.dY]);
}

/**
 * dAlpha[j] = Σ over the rows r of (count / alphas, alphas) of x·dY where x < 0: the terms into
 * `terms` (count), then their column sums into dAlpha (alphas).
 */
export async function preluAlphaGradient(device: Device, size: PreluSize, io: { x: Binding; dY: Binding; terms: Binding; dAlpha: Binding }, scratch: Scratch): Promise<Dispatch[]> {
  return [
    await dispatch(device, 'alphaTerms', size, [io.x, undefined, io.terms, io.dY]),
    ...(await columnSum(device, { rows: size.count / size.alphas, cols: size.alphas }, { x: io.terms, out: io.dAlpha }, scratch)),
  ];
}
