/** The Activation layer, and the activation step shared by Dense and Conv2D. */
import type { TensorId } from '../../graph/graph.js';
import { activationBackward, activationForward, type Activation as ElementwiseActivation } from '../../kernels/activation.js';
import type { ConfigReader, KerasConfig } from './keras-config.js';
import { Layer, elements, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';
import type { WeightSpec } from '../weights.js';

/** Keras activation names the engine supports. Softmax is only valid on the model's output. */
export type ActivationName = ElementwiseActivation | 'softmax';

export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax'];

export function checkActivation(layer: string, name: unknown): ActivationName {
  if (name === undefined || name === null) return 'linear';
  if (!ACTIVATIONS.includes(name as ActivationName)) {
    throw new Error(`${layer}: unknown activation '${String(name)}' (supported: ${ACTIVATIONS.join(', ')})`);
  }
  return name as ActivationName;
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
export function recordActivation(ctx: RecordContext, label: string, kind: ElementwiseActivation, z: TensorId): TensorId {
  const { graph, device } = ctx;
  const shape = graph.shape(z);
  const y = graph.tensor(`${label}/${kind}`, shape);
  graph.add({
    label: `${label} ${kind}`,
    reads: [z],
    writes: [y],
    createDispatches: async (bind) => [await activationForward(device, kind, elements(shape), { x: bind(z), y: bind(y) })],
  });
  return y;
}

/** Records dZ = dY·f'(z), computed from the activation's output y = f(z). */
export function recordActivationBackward(ctx: RecordContext, label: string, kind: ElementwiseActivation, y: TensorId, dY: TensorId): TensorId {
  const { graph, device } = ctx;
  const shape = graph.shape(y);
  const dZ = graph.tensor(`${label}/d${kind}`, shape);
  graph.add({
    label: `${label} ${kind} backward`,
    reads: [y, dY],
    writes: [dZ],
    createDispatches: async (bind) => [await activationBackward(device, kind, elements(shape), { y: bind(y), dY: bind(dY), dX: bind(dZ) })],
  });
  return dZ;
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
    if (this.activation === 'linear' || this.activation === 'softmax') return { y: x, reluOutput: input.reluOutput, backward: (dY) => dY };
    const kind = this.activation;
    const y = recordActivation(ctx, this.name, kind, x);
    return {
      y,
      // A ReLU leaves its backward to the next layer where that layer can fuse it.
      reluOutput: kind === 'relu',
      backward: (dY) => ({ d: dY.reluApplied ? dY.d : recordActivationBackward(ctx, this.name, kind, y, dY.d), reluApplied: false }),
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Activation {
    return new Activation({ ...args, activation: readActivation(c) });
  }

  config(): KerasConfig {
    return { activation: this.activation };
  }
}
