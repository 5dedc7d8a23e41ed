/**
 * A float64 forward pass of a Sequential model on the CPU, built only from the kernel
 * references: the independent check of what the compiled GPU steps compute.
 * Inference semantics (dropout off, BatchNormalization with moving statistics).
 */
import type { ConvParams } from '../kernels/im2col.js';
import { convGeometry } from '../kernels/window.js';
import { poolGeometry, type PoolParams } from '../kernels/pool.js';
import { Activation } from '../nn/layers/activation.js';
import { BatchNormalization } from '../nn/layers/batchnorm.js';
import { Conv2D } from '../nn/layers/conv2d.js';
import { Dense } from '../nn/layers/dense.js';
import { Dropout } from '../nn/layers/dropout.js';
import { Flatten } from '../nn/layers/flatten.js';
import type { Layer } from '../nn/layers/layer.js';
import { AveragePooling2D, MaxPooling2D } from '../nn/layers/pooling.js';
import type { Sequential } from '../nn/sequential.js';
import { activate } from './activation.js';
import { conv2dRef } from './conv.js';
import { matmulRef } from './matmul.js';
import { avgPoolForwardRef, maxPoolForwardRef } from './pool.js';
import { crossEntropyRef, softmaxRef } from './softmax.js';

/** Logits of the output layer (before its softmax), (batch, classes). */
export function referenceLogits(model: Sequential, weights: ArrayLike<number>[], x: ArrayLike<number>, batch: number): Float64Array {
  let values: Float64Array = Float64Array.from(x);
  let shape = [...model.inputShape];
  let w = 0;
  for (const layer of model.layers) {
    const own = weights.slice(w, w + layer.weightSlots.length);
    w += layer.weightSlots.length;
    values = layerForward(layer, own, values, shape, batch);
    shape = layer.outputShape;
  }
  return values;
}

export function referenceProbabilities(model: Sequential, weights: ArrayLike<number>[], x: ArrayLike<number>, batch: number): Float64Array {
  const classes = model.outputShape[0];
  return softmaxRef(referenceLogits(model, weights, x, batch), batch, classes);
}

/** Mean categorical cross-entropy of the model on (x, one-hot targets). */
export function referenceLoss(model: Sequential, weights: ArrayLike<number>[], x: ArrayLike<number>, targets: ArrayLike<number>, batch: number): number {
  const classes = model.outputShape[0];
  return crossEntropyRef(referenceLogits(model, weights, x, batch), targets, batch, classes).lossSum / batch;
}

function layerForward(layer: Layer, w: ArrayLike<number>[], x: Float64Array, inShape: number[], batch: number): Float64Array {
  if (layer instanceof Conv2D) {
    const [height, width, channels] = inShape;
    const geometry = convGeometry({ height, width, kernelH: layer.kernelSize[0], kernelW: layer.kernelSize[1], strideH: layer.strides[0], strideW: layer.strides[1], padding: layer.padding });
    const p: ConvParams = { ...geometry, batch, channels };
    return activateAll(layer.activation, conv2dRef(x, w[0], layer.useBias ? w[1] : null, p));
  }
  if (layer instanceof Dense) {
    const y = matmulRef({ m: batch, n: layer.units, k: inShape[0] }, x, w[0], layer.useBias ? w[1] : undefined);
    return activateAll(layer.activation, y);
  }
  if (layer instanceof MaxPooling2D || layer instanceof AveragePooling2D) {
    const [height, width, channels] = inShape;
    const geometry = poolGeometry({ height, width, poolH: layer.poolSize[0], poolW: layer.poolSize[1], strideH: layer.strides[0], strideW: layer.strides[1], padding: layer.padding });
    const p: PoolParams = { ...geometry, batch, channels };
    return layer instanceof MaxPooling2D ? maxPoolForwardRef(x, p).y : avgPoolForwardRef(x, p);
  }
  if (layer instanceof BatchNormalization) {
    const channels = inShape[inShape.length - 1];
    const [gamma, beta, mean, variance] = w;
    return x.map((v, i) => {
      const c = i % channels;
      return ((v - mean[c]) / Math.sqrt(variance[c] + layer.epsilon)) * gamma[c] + beta[c];
    });
  }
  if (layer instanceof Activation) return activateAll(layer.activation, x);
  if (layer instanceof Flatten || layer instanceof Dropout) return x;
  throw new Error(`no reference for ${layer.className}`);
}

/** Softmax is left to the loss (these are logits); other activations apply element-wise. */
function activateAll(kind: string, x: Float64Array): Float64Array {
  if (kind === 'linear' || kind === 'softmax') return x;
  return x.map((v) => activate(kind as 'relu' | 'sigmoid' | 'tanh', v));
}
