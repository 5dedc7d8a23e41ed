/** The Activation and LeakyReLU layers, and the activation step shared by Dense and Conv2D. */
import type { TensorId } from '../../graph/graph.js';
import { activationBackward, activationForward, backwardReads, type Activation as ElementwiseActivation } from '../../kernels/activation.js';
import type { ConfigReader, KerasConfig, KerasFlavor } from './keras-config.js';
import { Layer, elements, recordElementwise, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';
import type { WeightSpec } from '../weights.js';

/**
 * Keras activation names the engine supports. Softmax is only valid on the model's output;
 * 'silu' is Keras 3's name for swish (which it writes for either).
 */
export type ActivationName = ElementwiseActivation | 'silu' | 'softmax';

/** 'leaky_relu' is Keras' activation function, negative slope 0.2; the LeakyReLU layer takes any. */
export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh', 'leaky_relu', 'elu', 'selu', 'softplus', 'swish', 'silu', 'gelu', 'relu6', 'softsign', 'mish', 'softmax'];

export function checkActivation(layer: string, name: unknown): ActivationName {
  if (name === undefined || name === null) return 'linear';
  if (!ACTIVATIONS.includes(name as ActivationName)) {
    throw new Error(`${layer}: unknown activation '${String(name)}' (supported: ${ACTIVATIONS.join(', ')})`);
  }
  return name as ActivationName;
}

/**
 * The kernel an activation runs as its own element-wise op after a Dense or Conv2D layer's
 * linear map (sigmoid, tanh, leaky relu, elu, selu, softplus, swish, gelu, relu6, softsign, mish), or undefined: linear,
 * ReLU (fused into the matmul's epilogue) and softmax (the loss's or predict's).
 */
export function separateActivation(name: ActivationName): ElementwiseActivation | undefined {
  if (name === 'linear' || name === 'relu' || name === 'softmax') return undefined;
  return name === 'silu' ? 'swish' : name;
}

/** The `activation` argument as each writer names it: swish is 'silu' in Keras 3, 'swish' in tf.keras 2 and TF.js. */
export function activationConfig(name: ActivationName, flavor: KerasFlavor): ActivationName {
  if (name === 'swish' || name === 'silu') return flavor === 'keras3' ? 'silu' : 'swish';
  return name;
}

/** Reads the `activation` argument of a Keras config (Activation, Dense, Conv2D). */
export function readActivation(c: ConfigReader): ActivationName {
  const value = c.take('activation') ?? 'linear';
  if (typeof value !== 'string' || !ACTIVATIONS.includes(value as ActivationName)) {
    throw new Error(`${c.where}: unsupported argument activation: ${JSON.stringify(value)} (supported: ${ACTIVATIONS.join(', ')})`);
  }
  return value as ActivationName;
}

/** Records y = f(z) as its own op, for activations the matmul epilogue does not fuse. */
export function recordActivation(ctx: RecordContext, label: string, kind: ElementwiseActivation, z: TensorId, negativeSlope?: number): TensorId {
  const shape = ctx.graph.shape(z);
  return recordElementwise(ctx.graph, `${label}/${kind}`, [z], shape, (bind, y) => activationForward(ctx.device, kind, elements(shape), { x: bind(z), y }, negativeSlope));
}

/**
 * Records dZ = dY·f'(z), computed from the activation's output y = f(z), or from its input z
 * for swish (backwardReads).
 */
export function recordActivationBackward(ctx: RecordContext, label: string, kind: ElementwiseActivation, io: { z: TensorId; y: TensorId }, dY: TensorId, negativeSlope?: number): TensorId {
  const saved = backwardReads(kind) === 'input' ? io.z : io.y;
  const shape = ctx.graph.shape(saved);
  return recordElementwise(ctx.graph, `${label}/d${kind}`, [saved, dY], shape, (bind, dZ) =>
    activationBackward(ctx.device, kind, elements(shape), { saved: bind(saved), dY: bind(dY), dX: dZ }, negativeSlope),
  );
}

export interface ActivationArgs extends LayerArgs {
  activation: ActivationName;
}

export class Activation extends Layer {
  readonly className = 'Activation';
  readonly namePrefix = 'activation';
  readonly keras3BuildConfig = false;
  readonly activation: ActivationName;

  constructor(args: ActivationArgs) {
    super('Activation', args, ['activation']);
    this.activation = checkActivation('Activation', args.activation);
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    this.outputShape = [...inputShape];
    return [];
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    // Softmax on the output is fused with the loss (training) or added by the model (predict).
    const kind = separateActivation(this.activation) ?? (this.activation === 'relu' ? 'relu' : undefined);
    if (!kind) return { y: x, reluOutput: input.reluOutput, backward: (dY) => dY };
    const y = recordActivation(ctx, this.name, kind, x);
    return {
      y,
      // A ReLU leaves its backward to the next layer where that layer can fuse it.
      reluOutput: kind === 'relu',
      backward: (dY) => ({ d: dY.reluApplied ? dY.d : recordActivationBackward(ctx, this.name, kind, { z: x, y }, dY.d), reluApplied: false }),
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Activation {
    return new Activation({ ...args, activation: readActivation(c) });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return { activation: activationConfig(this.activation, flavor) };
  }
}

export interface LeakyReLUArgs extends LayerArgs {
  /** The slope for x < 0 (Keras' negative_slope, TF.js' alpha); default 0.3, Keras' layer's. */
  negativeSlope?: number;
}

/** LeakyReLU: x for x > 0, negativeSlope·x otherwise. */
export class LeakyReLU extends Layer {
  readonly className = 'LeakyReLU';
  readonly namePrefix = 'leaky_re_lu';
  readonly keras3BuildConfig = false;
  readonly negativeSlope: number;

  constructor(args: LeakyReLUArgs = {}) {
    super('LeakyReLU', args, ['negativeSlope']);
    const slope = args.negativeSlope ?? 0.3;
    if (typeof slope !== 'number' || !(slope >= 0) || !Number.isFinite(slope)) throw new Error(`LeakyReLU: negativeSlope must be a finite number ≥ 0, got ${JSON.stringify(args.negativeSlope)}`);
    this.negativeSlope = slope;
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    this.outputShape = [...inputShape];
    return [];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    const y = recordActivation(ctx, this.name, 'leaky_relu', x, this.negativeSlope);
    return { y, backward: (dY) => ({ d: recordActivationBackward(ctx, this.name, 'leaky_relu', { z: x, y }, dY.d, this.negativeSlope), reluApplied: false }) };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): LeakyReLU {
    // Keras 3 names it negative_slope; tf.keras 2 and TF.js, alpha.
    const slope = c.take('negative_slope') ?? c.take('alpha');
    return new LeakyReLU({ ...args, negativeSlope: slope === undefined || slope === null ? undefined : (slope as number) });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return flavor === 'keras3' ? { negative_slope: this.negativeSlope } : { alpha: this.negativeSlope };
  }
}
