/** Weight regularizers (src/nn/regularizers.ts) on one weight tensor: the gradient term and the penalty added to the loss. */
import partialSumsCode from '../../shaders/partial-sums.wgsl';
import regularizeCode from '../../shaders/regularize.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';
import { partialCount, partialSums } from './partial-sums.js';

/** A penalty l1·Σ|w| + l2·Σw² on a weight tensor (src/nn/regularizers.ts: Keras' L1, L2, L1L2). */
export interface Regularizer {
  l1: number;
  l2: number;
}

/** The shaders' workgroup size (WG in partial-sums.wgsl). */
const WG = 256;

const code = `${partialSumsCode}\n${regularizeCode}`;

/** grads += l1·sign(w) + 2·l2·w over `count` elements. */
export function regularizeGradient(device: Device, count: number, r: Regularizer, io: { w: Binding; grads: Binding }): Promise<Dispatch> {
  return createDispatch(device, { label: 'regularizer gradient', code, entryPoint: 'gradient', constants: { COUNT: count, L1: r.l1, L2: r.l2 } }, [io.w, io.grads], grid(count, WG));
}

/** metrics[0] += batch · (l1·Σ|w| + l2·Σw²): the penalty in the running loss sum, once per sample as the loss kernel counts. */
export async function regularizationPenalty(device: Device, count: number, r: Regularizer, batch: number, io: { w: Binding; metrics: Binding }, scratch: Scratch): Promise<Dispatch[]> {
  const parts = partialCount(count);
  const partials = scratch(`penalty partials`, parts * 4);
  return [
    await partialSums(device, count, r, { w: io.w, partials }, parts),
    await createDispatch(device, { label: 'regularizer penalty', code, entryPoint: 'penalty', constants: { COUNT: count, PARTIALS: parts, BATCH: batch } }, [partials, io.metrics], [1]),
  ];
}
