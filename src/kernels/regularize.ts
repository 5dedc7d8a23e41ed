/** Weight regularizers (src/nn/regularizers.ts) on one weight tensor: the gradient term and the penalty added to the loss. */
import code from '../../shaders/regularize.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

/** A penalty l1·Σ|w| + l2·Σw² on a weight tensor (src/nn/regularizers.ts: Keras' L1, L2, L1L2). */
export interface Regularizer {
  l1: number;
  l2: number;
}

/** The shader's workgroup size (a constant there: it sizes the penalty's workgroup array). */
const WG = 256;

/** grads += l1·sign(w) + 2·l2·w over `count` elements. */
export function regularizeGradient(device: Device, count: number, r: Regularizer, io: { w: Binding; grads: Binding }): Promise<Dispatch> {
  return createDispatch(device, { label: 'regularizer gradient', code, entryPoint: 'gradient', constants: { COUNT: count, L1: r.l1, L2: r.l2 } }, [io.w, io.grads], grid(count, WG));
}

/** metrics[0] += batch · (l1·Σ|w| + l2·Σw²): the penalty in the running loss sum, once per sample as the loss kernel counts. */
export function regularizationPenalty(device: Device, count: number, r: Regularizer, batch: number, io: { w: Binding; metrics: Binding }): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: 'regularizer penalty', code, entryPoint: 'penalty', constants: { COUNT: count, L1: r.l1, L2: r.l2, BATCH: batch } },
    [io.w, io.metrics],
    [1],
  );
}
