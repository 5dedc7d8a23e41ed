/**
 * BatchNormalization over the last axis (channels), Keras semantics: batch statistics and a
 * moving-average update in training, moving statistics at inference. Weights in Keras order:
 * gamma (unless scale is off), beta (unless center is off) — trainable, packed together — and
 * moving mean, moving variance (packed). A frozen layer (trainable: false) runs in inference mode
 * in training too, as Keras 3 runs it: moving statistics, neither updated, and no weight
 * gradients; the gradient still passes through it to the layers before.
 */
import type { TensorId } from '../../graph/graph.js';
import type { Binding } from '../../runtime/dispatch.js';
import { affineRows, batchNormBackward, batchNormFrozenBackward, batchNormInferForward, batchNormTrainForward, type BatchNormOptions } from '../../kernels/batchnorm.js';
import type { Initializer } from '../initializers.js';
import type { WeightSpec } from '../weights.js';
import { nulls, type ConfigReader, type KerasConfig, type KerasFlavor } from './keras-config.js';
import { initializerConfig, takeInitializer } from './keras-initializers.js';
import { Layer, elements, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

export interface BatchNormalizationArgs extends LayerArgs {
  /** The axis normalized, with the batch dimension counted: only the last (-1, the default) is supported. */
  axis?: number;
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly namePrefix = 'batch_normalization';
  readonly keras3BuildConfig = true;
  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;

  constructor(args: BatchNormalizationArgs = {}) {
    super('BatchNormalization', args, ['axis', 'momentum', 'epsilon', 'center', 'scale']);
    this.axis = args.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new Error(`BatchNormalization: axis must be an integer, got ${String(args.axis)}`);
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new Error(`BatchNormalization: momentum must be in [0, 1), got ${this.momentum}`);
    if (!(this.epsilon > 0)) throw new Error(`BatchNormalization: epsilon must be positive, got ${this.epsilon}`);
    for (const [arg, value] of [['center', args.center], ['scale', args.scale]] as const) {
      if (value !== undefined && typeof value !== 'boolean') throw new Error(`BatchNormalization: ${arg} must be true or false, got ${JSON.stringify(value)}`);
    }
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    const rank = inputShape.length + 1; // with the batch dimension
    if (this.axis !== -1 && this.axis !== rank - 1) this.fail(`axis ${this.axis} is not supported: only the last axis (-1 or ${rank - 1}) is`);
    const channels = inputShape[inputShape.length - 1];
    this.outputShape = [...inputShape];
    const filled = (value: number) => () => new Float32Array(channels).fill(value);
    // As in Keras, gamma and beta exist only where scale and center are on.
    return [
      ...(this.scale ? [{ name: 'gamma', shape: [channels], trainable: true, init: filled(1) }] : []),
      ...(this.center ? [{ name: 'beta', shape: [channels], trainable: true, init: filled(0), packWithPrevious: this.scale }] : []),
      { name: 'moving_mean', shape: [channels], trainable: false, init: filled(0) },
      { name: 'moving_variance', shape: [channels], trainable: false, init: filled(1), packWithPrevious: true },
    ];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    const { graph, device, weights } = ctx;
    const options: BatchNormOptions = { momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
    const affine = affineRows(options);
    const [movingMean] = this.weightSlots.slice(affine);
    const shape = graph.shape(x);
    const channels = shape[shape.length - 1];
    const size = { rows: elements(shape) / channels, channels };
    // (affine, channels) gamma and beta where present; with neither, x stands in (not read).
    const gammaBeta = (bind: (t: TensorId) => Binding) => (affine ? weights.range(this.weightSlots[0], affine) : bind(x));
    const moving = weights.range(movingMean, 2); // (2, channels), updated by the training forward
    const y = graph.tensor(`${this.name}/output`, shape);
    if (!ctx.training || !this.trainable) {
      graph.add({
        label: `${this.name} inference`,
        reads: [x],
        writes: [y],
        createDispatches: async (bind) => [await batchNormInferForward(device, size, options, { x: bind(x), gammaBeta: gammaBeta(bind), moving, y: bind(y) })],
      });
      if (!ctx.training) return { y };
      return {
        y,
        backward: (dY, needInputGrad) => {
          if (!needInputGrad) return undefined;
          const dX = graph.tensor(`${this.name}/dInput`, shape);
          graph.add({
            label: `${this.name} frozen backward`,
            reads: [dY.d],
            writes: [dX],
            createDispatches: async (bind) => [await batchNormFrozenBackward(device, size, options, { gammaBeta: gammaBeta(bind), moving, dY: bind(dY.d), dX: bind(dX) })],
          });
          return { d: dX, reluApplied: false };
        },
      };
    }
    const saved = graph.tensor(`${this.name}/batch statistics`, [2, channels]); // mean, 1/sqrt(var + eps)
    graph.add({
      label: `${this.name} forward`,
      reads: [x],
      writes: [y, saved],
      createDispatches: (bind, scratch) => batchNormTrainForward(device, size, options, { x: bind(x), gammaBeta: gammaBeta(bind), y: bind(y), moving, saved: bind(saved) }, scratch),
    });
    return {
      y,
      backward: (dY) => {
        const dX = graph.tensor(`${this.name}/dInput`, shape);
        // With neither gamma nor beta the kernel writes no parameter gradient, but binds a buffer.
        const unused = affine ? undefined : graph.tensor(`${this.name}/no gamma or beta`, [1]);
        graph.add({
          label: `${this.name} backward`,
          reads: [x, saved, dY.d],
          writes: unused ? [dX, unused] : [dX],
          createDispatches: (bind, scratch) =>
            batchNormBackward(
              device,
              size,
              options,
              {
                x: bind(x),
                gammaBeta: gammaBeta(bind),
                saved: bind(saved),
                dY: bind(dY.d),
                dX: bind(dX),
                dGammaBeta: unused ? bind(unused) : weights.gradRange(this.weightSlots[0], affine),
              },
              scratch,
            ),
        });
        return { d: dX, reluApplied: false };
      },
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): BatchNormalization {
    c.requireNull(['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint']);
    for (const [key, value] of FIXED_INITIALIZERS) {
      if (takeInitializer(c, key, value) !== value) c.unsupported(key, c.config[key]);
    }
    let axis = c.take('axis') ?? -1;
    if (Array.isArray(axis) && axis.length === 1) axis = axis[0]; // tf.keras writes [3] once built
    if (typeof axis !== 'number' || !Number.isInteger(axis)) c.unsupported('axis', c.config.axis);
    // Keras 3.15 writes renorm: false with renorm_momentum 0.99, which only renorm uses.
    if (c.config.renorm !== true) c.take('renorm_momentum');
    return new BatchNormalization({
      ...args,
      axis,
      momentum: c.number('momentum', 0.99),
      epsilon: c.number('epsilon', 1e-3),
      center: c.bool('center', true),
      scale: c.bool('scale', true),
    });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    // tf.keras writes the axis it resolved at build time, as a list; Keras 3 and TF.js write -1.
    if (flavor === 'keras2' && this.outputShape.length === 0) this.fail("tf.keras' config names the input's last axis: build the model first");
    return {
      axis: flavor === 'keras2' ? [this.outputShape.length] : -1,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      ...Object.fromEntries(FIXED_INITIALIZERS.map(([key, value]) => [key, initializerConfig(value, flavor)])),
      ...nulls('beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'),
      ...(flavor === 'keras3' ? { synchronized: false } : {}),
    };
  }
}

/** The initial values of the four weights, in Keras' key order; Keras lets them differ, the engine does not. */
const FIXED_INITIALIZERS: [string, Initializer][] = [
  ['beta_initializer', 'zeros'],
  ['gamma_initializer', 'ones'],
  ['moving_mean_initializer', 'zeros'],
  ['moving_variance_initializer', 'ones'],
];
