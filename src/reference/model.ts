/**
 * A float64 forward pass of a Sequential model on the CPU, built only from the kernel
 * references and each layer's Keras form (class name and config), not from the engine's
 * layer classes: the independent check of what the compiled GPU steps compute.
 * Inference semantics (dropout off, BatchNormalization with moving statistics).
 */
import type { ConvParams } from '../kernels/im2col.js';
import { convGeometry } from '../kernels/window.js';
import { poolGeometry, type PoolParams } from '../kernels/pool.js';
import { activate } from './activation.js';
import { conv2dRef } from './conv.js';
import { depthwiseRef } from './depthwise.js';
import { preluRef } from './prelu.js';
import { matmulRef } from './matmul.js';
import { avgPoolForwardRef, maxPoolForwardRef } from './pool.js';
import { crossEntropyRef, softmaxRef } from './softmax.js';
import { scaleRef } from './scale.js';
import { layerNormRef } from './layernorm.js';
import { penaltyRef } from './regularize.js';
import { shiftWindowRef } from './pad.js';
import type { Activation } from '../kernels/activation.js';

/** What the reference reads of a model (a Sequential is one): its input shape and each layer's Keras form. */
export interface ReferenceModel {
  /** Per-sample input shape, without the batch dimension. */
  readonly inputShape: readonly number[];
  readonly layers: readonly { readonly className: string; config(): Record<string, unknown> }[];
}

/** One layer of the reference: how many weights it takes (Keras order), its output shape and its forward pass. */
interface ReferenceLayer {
  weightCount: number;
  outputShape: number[];
  forward(w: ArrayLike<number>[], x: Float64Array, batch: number): Float64Array;
  /** Its weights' regularization penalty (Dense, Conv2D, DepthwiseConv2D, SeparableConv2D, PReLU); none when absent. */
  penalty?(w: ArrayLike<number>[]): number;
}

/** Logits of the output layer (before its softmax), (batch, classes). */
export function referenceLogits(model: ReferenceModel, weights: ArrayLike<number>[], x: ArrayLike<number>, batch: number): Float64Array {
  return referenceForward(model, weights, x, batch).values;
}

export function referenceProbabilities(model: ReferenceModel, weights: ArrayLike<number>[], x: ArrayLike<number>, batch: number): Float64Array {
  const { values, shape } = referenceForward(model, weights, x, batch);
  return softmaxRef(values, batch, shape[0]);
}

/** Keras' loss: the mean categorical cross-entropy of the model on (x, one-hot targets), plus its weights' regularization penalties. */
export function referenceLoss(model: ReferenceModel, weights: ArrayLike<number>[], x: ArrayLike<number>, targets: ArrayLike<number>, batch: number): number {
  const { values, shape, penalty } = referenceForward(model, weights, x, batch);
  return crossEntropyRef(values, targets, batch, shape[0]).lossSum / batch + penalty;
}

/** The output values (batch, ...shape), the per-sample output shape, and the weights' regularization penalty. */
function referenceForward(model: ReferenceModel, weights: ArrayLike<number>[], x: ArrayLike<number>, batch: number): { values: Float64Array; shape: number[]; penalty: number } {
  let values: Float64Array = Float64Array.from(x);
  let shape = [...model.inputShape];
  let penalty = 0;
  let w = 0;
  for (const modelLayer of model.layers) {
    const { className } = modelLayer;
    const make = Object.hasOwn(REFERENCE_LAYERS, className) ? REFERENCE_LAYERS[className] : undefined;
    if (!make) throw new Error(`no reference for ${className}`);
    const layer = make(modelLayer.config() as unknown as KerasArgs, shape);
    const layerWeights = weights.slice(w, w + layer.weightCount);
    values = layer.forward(layerWeights, values, batch);
    penalty += layer.penalty?.(layerWeights) ?? 0;
    w += layer.weightCount;
    shape = layer.outputShape;
  }
  if (w !== weights.length) throw new Error(`the model's layers take ${w} weights, ${weights.length} given`);
  return { values, shape, penalty };
}

/** The config keys the references read, as Keras writes them. */
interface KerasArgs {
  filters: number;
  units: number;
  kernel_size: [number, number];
  dilation_rate?: [number, number];
  depth_multiplier: number;
  pool_size: [number, number];
  strides: [number, number];
  padding: 'valid' | 'same';
  activation: string;
  use_bias: boolean;
  epsilon: number;
  target_shape: number[];
  keepdims: boolean;
  /** Rescaling's factor; BatchNormalization's gamma on or off. */
  scale: number | boolean;
  offset: number;
  center: boolean;
  negative_slope: number;
  kernel_regularizer: RegularizerConfig;
  bias_regularizer: RegularizerConfig;
  depthwise_regularizer: RegularizerConfig;
  pointwise_regularizer: RegularizerConfig;
  alpha_regularizer: RegularizerConfig;
  gamma_regularizer: RegularizerConfig;
  beta_regularizer: RegularizerConfig;
}

/** Each Keras layer class's reference, from its config and per-sample input shape. */
const REFERENCE_LAYERS: Record<string, (config: KerasArgs, inShape: number[]) => ReferenceLayer> = {
  Conv2D: (c, [height, width, channels]) => {
    const [dilationH, dilationW] = c.dilation_rate ?? [1, 1];
    const geometry = convGeometry({ height, width, kernelH: c.kernel_size[0], kernelW: c.kernel_size[1], strideH: c.strides[0], strideW: c.strides[1], dilationH, dilationW, padding: c.padding });
    return {
      weightCount: c.use_bias ? 2 : 1,
      outputShape: [geometry.outH, geometry.outW, c.filters],
      forward: (w, x, batch) => {
        const p: ConvParams = { ...geometry, batch, channels };
        return activateAll(c.activation, conv2dRef(x, w[0], c.use_bias ? w[1] : null, p));
      },
      penalty: (w) => linearPenalty(c, w),
    };
  },
  DepthwiseConv2D: (c, [height, width, channels]) => {
    const [dilationH, dilationW] = c.dilation_rate ?? [1, 1];
    const geometry = convGeometry({ height, width, kernelH: c.kernel_size[0], kernelW: c.kernel_size[1], strideH: c.strides[0], strideW: c.strides[1], dilationH, dilationW, padding: c.padding });
    return {
      weightCount: c.use_bias ? 2 : 1,
      outputShape: [geometry.outH, geometry.outW, channels * c.depth_multiplier],
      forward: (w, x, batch) => activateAll(c.activation, depthwiseRef(x, w[0], c.use_bias ? w[1] : null, { ...geometry, batch, channels, depthMultiplier: c.depth_multiplier })),
      penalty: ([kernel, bias]) => penaltyOf([c.depthwise_regularizer, kernel], [c.bias_regularizer, c.use_bias ? bias : undefined]),
    };
  },
  // The depthwise convolution without bias, then the pointwise kernel as a matrix over its positions.
  SeparableConv2D: (c, [height, width, channels]) => {
    const [dilationH, dilationW] = c.dilation_rate ?? [1, 1];
    const geometry = convGeometry({ height, width, kernelH: c.kernel_size[0], kernelW: c.kernel_size[1], strideH: c.strides[0], strideW: c.strides[1], dilationH, dilationW, padding: c.padding });
    const inner = channels * c.depth_multiplier;
    return {
      weightCount: c.use_bias ? 3 : 2,
      outputShape: [geometry.outH, geometry.outW, c.filters],
      forward: (w, x, batch) => {
        const d = depthwiseRef(x, w[0], null, { ...geometry, batch, channels, depthMultiplier: c.depth_multiplier });
        return activateAll(c.activation, matmulRef({ m: d.length / inner, n: c.filters, k: inner }, d, w[1], c.use_bias ? w[2] : undefined));
      },
      penalty: ([depthwise, pointwise, bias]) => penaltyOf([c.depthwise_regularizer, depthwise], [c.pointwise_regularizer, pointwise], [c.bias_regularizer, c.use_bias ? bias : undefined]),
    };
  },
  // Along the last axis, at every position of the others (one row each).
  Dense: (c, inShape) => ({
    weightCount: c.use_bias ? 2 : 1,
    outputShape: [...inShape.slice(0, -1), c.units],
    forward: (w, x) => {
      const inputs = inShape[inShape.length - 1];
      return activateAll(c.activation, matmulRef({ m: x.length / inputs, n: c.units, k: inputs }, x, w[0], c.use_bias ? w[1] : undefined));
    },
    penalty: (w) => linearPenalty(c, w),
  }),
  MaxPooling2D: (c, inShape) => pooling(c, inShape, (x, p) => maxPoolForwardRef(x, p).y),
  AveragePooling2D: (c, inShape) => pooling(c, inShape, avgPoolForwardRef),
  // Gamma and beta exist only where scale and center are on (Keras' weights), else 1 and 0.
  BatchNormalization: (c, inShape) => ({
    weightCount: Number(c.scale === true) + Number(c.center) + 2,
    outputShape: inShape,
    forward: (w, x) => {
      const channels = inShape[inShape.length - 1];
      const gamma = c.scale === true ? w[0] : undefined;
      const beta = c.center ? w[Number(c.scale === true)] : undefined;
      const [mean, variance] = w.slice(-2);
      return x.map((v, i) => {
        const ch = i % channels;
        return ((v - mean[ch]) / Math.sqrt(variance[ch] + c.epsilon)) * (gamma ? gamma[ch] : 1) + (beta ? beta[ch] : 0);
      });
    },
  }),
  // Each position's values normalized over the last axis; gamma and beta where present.
  LayerNormalization: (c, inShape) => ({
    weightCount: Number(c.scale === true) + Number(c.center),
    outputShape: inShape,
    forward: (w, x) => {
      const cols = inShape[inShape.length - 1];
      return layerNormRef(x, x.length / cols, cols, w.flatMap((v) => Array.from(v)), { epsilon: c.epsilon, center: c.center, scale: c.scale === true }).y;
    },
    penalty: (w) => penaltyOf([c.gamma_regularizer, c.scale === true ? w[0] : undefined], [c.beta_regularizer, c.center ? w.at(-1) : undefined]),
  }),
  Activation: (c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => activateAll(c.activation, x) }),
  // Flatten keeps NHWC order, Keras' (h, w, c); dropout is off at inference.
  Flatten: (_c, inShape) => ({ weightCount: 0, outputShape: [inShape.reduce((a, b) => a * b, 1)], forward: (_w, x) => x }),
  Dropout: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  SpatialDropout2D: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  AlphaDropout: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  GaussianNoise: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  GaussianDropout: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  // Random augmentation is off at inference too.
  RandomFlip: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  RandomRotation: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  RandomZoom: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  RandomTranslation: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  RandomContrast: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  RandomBrightness: (_c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x }),
  GlobalAveragePooling2D: (c, inShape) => globalPooling(c, inShape, (values) => values.reduce((a, b) => a + b, 0) / values.length),
  GlobalMaxPooling2D: (c, inShape) => globalPooling(c, inShape, (values) => Math.max(...values)),
  LeakyReLU: (c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => x.map((v) => activate('leaky_relu', v, c.negative_slope)) }),
  // alpha has the sample's shape with the shared (leading) axes 1: element i's alpha is alpha[i % its size].
  PReLU: (c, inShape) => ({ weightCount: 1, outputShape: inShape, forward: (w, x) => preluRef(x, w[0]), penalty: ([alpha]) => penaltyOf([c.alpha_regularizer, alpha]) }),
  // Their padding and cropping are [[top, bottom], [left, right]] (Conv2D's padding is a word).
  ZeroPadding2D: (c, inShape) => window(inShape, (c as unknown as { padding: number[][] }).padding, 1),
  Cropping2D: (c, inShape) => window(inShape, (c as unknown as { cropping: number[][] }).cropping, -1),
  Rescaling: (c, inShape) => ({ weightCount: 0, outputShape: inShape, forward: (_w, x) => scaleRef(x, c.scale as number, c.offset) }),
  Reshape: (c, inShape) => {
    const count = inShape.reduce((a, b) => a * b, 1);
    const known = c.target_shape.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    return { weightCount: 0, outputShape: c.target_shape.map((d) => (d === -1 ? count / known : d)), forward: (_w, x) => x };
  },
};

/** Zero padding (sign 1) or cropping (sign −1) by [[top, bottom], [left, right]]: a window copy. */
function window([height, width, channels]: number[], [[top, bottom], [left, right]]: number[][], sign: 1 | -1): ReferenceLayer {
  const outH = height + sign * (top + bottom);
  const outW = width + sign * (left + right);
  return {
    weightCount: 0,
    outputShape: [outH, outW, channels],
    forward: (_w, x, batch) => shiftWindowRef(x, { batch, inH: height, inW: width, outH, outW, channels, top: sign * top, left: sign * left }),
  };
}

/** A reduction of each channel over the whole image, [h, w, c] → [c] (or [1, 1, c] with keepdims). */
function globalPooling(c: KerasArgs, [height, width, channels]: number[], reduce: (values: number[]) => number): ReferenceLayer {
  return {
    weightCount: 0,
    outputShape: c.keepdims ? [1, 1, channels] : [channels],
    forward: (_w, x, batch) => {
      const y = new Float64Array(batch * channels);
      for (let n = 0; n < batch; n++) {
        for (let ch = 0; ch < channels; ch++) {
          const values = Array.from({ length: height * width }, (_, p) => x[(n * height * width + p) * channels + ch]);
          y[n * channels + ch] = reduce(values);
        }
      }
      return y;
    },
  };
}

function pooling(c: KerasArgs, [height, width, channels]: number[], pool: (x: Float64Array, p: PoolParams) => Float64Array): ReferenceLayer {
  const geometry = poolGeometry({ height, width, poolH: c.pool_size[0], poolW: c.pool_size[1], strideH: c.strides[0], strideW: c.strides[1], padding: c.padding });
  return {
    weightCount: 0,
    outputShape: [geometry.outH, geometry.outW, channels],
    forward: (_w, x, batch) => pool(x, { ...geometry, batch, channels }),
  };
}

/** A Keras regularizer config's factors: {class_name, config: {l1?, l2?}} as the engine writes it (each factor it has given). */
type RegularizerConfig = { config: { l1?: number; l2?: number } } | null | undefined;

/** The kernel's and bias's penalties of a Dense or Conv2D layer. */
function linearPenalty(c: KerasArgs, [kernel, bias]: ArrayLike<number>[]): number {
  return penaltyOf([c.kernel_regularizer, kernel], [c.bias_regularizer, c.use_bias ? bias : undefined]);
}

/** The sum of each weight's penalty under its regularizer (none: 0). */
function penaltyOf(...pairs: [RegularizerConfig, ArrayLike<number> | undefined][]): number {
  return pairs.reduce((sum, [r, w]) => sum + (r && w ? penaltyRef(w, { l1: r.config.l1 ?? 0, l2: r.config.l2 ?? 0 }) : 0), 0);
}

/** Softmax is left to the loss (these are logits); other activations apply element-wise ('silu' is Keras 3's name for swish). */
function activateAll(kind: string, x: Float64Array): Float64Array {
  if (kind === 'linear' || kind === 'softmax') return x;
  const name = (kind === 'silu' ? 'swish' : kind) as Activation;
  return x.map((v) => activate(name, v));
}
