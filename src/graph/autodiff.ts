/**
 * Reverse-mode autodiff over a sequence of recorded layers. While recording its forward ops each layer
 * returns a Backward that records the ops of its gradient; walking them in reverse order
 * from dLoss/dLogits chains the gradients back to the first layer. The first layer's input
 * gradient is never needed (the input is data), so it is not computed.
 */
import type { TensorId } from './graph.js';

/**
 * Records the backward ops of one layer given the gradient of its output; returns the
 * gradient of its input, or undefined when `needInputGrad` is false (the first layer).
 */
export type Backward = (dY: TensorId, needInputGrad: boolean) => TensorId | undefined;

export function recordBackward(backwards: readonly Backward[], dOutput: TensorId): void {
  let d = dOutput;
  for (let i = backwards.length - 1; i >= 0; i--) {
    const needInputGrad = i > 0;
    const dInput = backwards[i](d, needInputGrad);
    if (needInputGrad) {
      if (dInput === undefined) throw new Error('internal: a layer returned no input gradient');
      d = dInput;
    }
  }
}
