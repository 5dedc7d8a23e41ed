/**
 * Reverse-mode autodiff over a sequence of recorded layers. While recording its forward ops each layer
 * returns a Backward that records the ops of its gradient; walking them in reverse order
 * from dLoss/dLogits chains the gradients back to the first layer. The first layer's input
 * gradient is never needed (the input is data), so it is not computed.
 *
 * Fusion across layers: a layer whose output is a ReLU's may leave that ReLU's backward to
 * the layer after it, whose input-gradient kernel can apply it on the way (dX = 0 where its
 * input x ≤ 0: a masked col2im, a max pool whose argmax skips windows ≤ 0, a Dense's or a
 * pointwise conv's dX matmul with a mask in its epilogue). That layer then returns its gradient
 * with `reluApplied`, and the ReLU's own pass over the gradient is left out. Which layers offer and which apply it is the layers' business (src/nn/layers); here it
 * is one flag on the gradient.
 */
import type { TensorId } from './graph.js';

/** The gradient of a layer's output, as it flows back into that layer. */
export interface Gradient {
  d: TensorId;
  /**
   * d already includes the backward of the ReLU that ends the layer it flows into (fused into
   * the kernel that produced it), so that layer must not apply it again.
   */
  reluApplied: boolean;
}

/**
 * Records the backward ops of one layer given the gradient of its output; returns the
 * gradient of its input, or undefined when `needInputGrad` is false (the first layer).
 */
export type Backward = (dY: Gradient, needInputGrad: boolean) => Gradient | undefined;

export function recordBackward(backwards: readonly Backward[], dOutput: TensorId): void {
  let d: Gradient = { d: dOutput, reluApplied: false };
  for (let i = backwards.length - 1; i >= 0; i--) {
    const needInputGrad = i > 0;
    const dInput = backwards[i](d, needInputGrad);
    if (needInputGrad) {
      if (dInput === undefined) throw new Error('internal: a layer returned no input gradient');
      d = dInput;
    }
  }
}
