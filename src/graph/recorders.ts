/** The loss and the optimizer as the step compiler sees them (src/nn/loss.ts, src/nn/optimizers.ts). */
import type { TensorId } from './graph.js';
import type { RecordContext } from '../nn/layers/layer.js';

export interface LossRecorder {
  /**
   * Records the loss on `logits` (batch, classes) against `targets` (batch, classes): adds
   * the batch's loss and accuracy sums to `metrics`, and in training returns dLoss/dLogits.
   */
  record(ctx: RecordContext, logits: TensorId, targets: TensorId, metrics: GPUBuffer, training: boolean): TensorId | undefined;
  /** Records softmax(logits) for prediction. */
  recordProbabilities(ctx: RecordContext, logits: TensorId): TensorId;
}

export interface OptimizerRecorder {
  /** Records the update of every trainable parameter from the flat gradient buffer. */
  record(ctx: RecordContext): void;
  /** Frees the optimizer's state buffers. */
  destroy(): void;
}
