/**
 * LayerNormalization over the last axis, Keras semantics: each sample's values at each position
 * normalized over the channels (or a Dense output's units), the same in training and inference,
 * then gamma·xhat + beta per channel. Weights in Keras order: gamma (unless scale is off), beta
 * (unless center is off), packed together.
 */
import type { TensorId } from '../../graph/graph.js';
import { layerNormAffineGradient, layerNormForward, layerNormInputGradient, type LayerNormOptions } from '../../kernels/layernorm.js';
import type { Binding } from '../../runtime/dispatch.js';
import type { ConstraintArg } from '../constraints.js';
import type { RegularizerArg } from '../regularizers.js';
import type { WeightSpec } from '../weights.js';
import type { ConfigReader, KerasConfig, KerasFlavor } from './keras-config.js';
import { initializerConfig, takeInitializer } from './keras-initializers.js';
import { Layer, elements, type LayerArgs, type RecordContext, type Recorded } from './layer.js';
import { constraintEntry, readWeightOptions, regularizerEntry, weightOptions, weightSpecOptions, type WeightOptions } from './weight-options.js';

export interface LayerNormalizationArgs extends LayerArgs {
  /** The axis normalized over, with the batch dimension counted: only the last (-1, the default) is supported. */
  axis?: number | number[];
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
  gammaRegularizer?: RegularizerArg;
  betaRegularizer?: RegularizerArg;
  gammaConstraint?: ConstraintArg;
  betaConstraint?: ConstraintArg;
}

export class LayerNormalization extends Layer {
  readonly className = 'LayerNormalization';
  readonly namePrefix = 'layer_normalization';
  readonly keras3BuildConfig = true;
  /** As given: -1, or the last axis' index counted with the batch dimension (checked at build). */
  readonly axis: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly gammaOptions: WeightOptions;
  readonly betaOptions: WeightOptions;

  constructor(args: LayerNormalizationArgs = {}) {
    const kind = 'LayerNormalization';
    super(kind, args, ['axis', 'epsilon', 'center', 'scale', 'gammaRegularizer', 'betaRegularizer', 'gammaConstraint', 'betaConstraint']);
    const axis = Array.isArray(args.axis) && args.axis.length === 1 ? args.axis[0] : (args.axis ?? -1);
    if (typeof axis !== 'number' || !Number.isInteger(axis)) throw new Error(`${kind}: axis must be one integer (only the last axis is supported), got ${JSON.stringify(args.axis)}`);
    this.axis = axis;
    this.epsilon = args.epsilon ?? 1e-3;
    if (!(this.epsilon > 0)) throw new Error(`${kind}: epsilon must be positive, got ${this.epsilon}`);
    for (const [arg, value] of [['center', args.center], ['scale', args.scale]] as const) {
      if (value !== undefined && typeof value !== 'boolean') throw new Error(`${kind}: ${arg} must be true or false, got ${JSON.stringify(value)}`);
    }
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    this.gammaOptions = weightOptions(kind, 'gamma', args.gammaRegularizer, args.gammaConstraint);
    this.betaOptions = weightOptions(kind, 'beta', args.betaRegularizer, args.betaConstraint);
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    const rank = inputShape.length + 1; // with the batch dimension
    if (this.axis !== -1 && this.axis !== rank - 1) this.fail(`axis ${this.axis} is not supported: only the last axis (-1 or ${rank - 1}) is`);
    const channels = inputShape[inputShape.length - 1];
    this.outputShape = [...inputShape];
    const shape = [channels];
    const filled = (value: number) => () => new Float32Array(channels).fill(value);
    return [
      ...(this.scale ? [{ name: 'gamma', shape, trainable: true, ...weightSpecOptions(`${this.name}: gammaConstraint`, this.gammaOptions, shape), init: filled(1) }] : []),
      ...(this.center ? [{ name: 'beta', shape, trainable: true, ...weightSpecOptions(`${this.name}: betaConstraint`, this.betaOptions, shape), init: filled(0), packWithPrevious: this.scale }] : []),
    ];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    const { graph, device, weights } = ctx;
    const options: LayerNormOptions = { epsilon: this.epsilon, center: this.center, scale: this.scale };
    const shape = graph.shape(x);
    const cols = shape[shape.length - 1];
    const size = { rows: elements(shape) / cols, cols };
    // (scale + center, cols): gamma and beta where present; with neither, x stands in (not read).
    const gammaBeta = (bind: (t: TensorId) => Binding) => (this.weightSlots.length ? weights.range(this.weightSlots[0], this.weightSlots.length) : bind(x));
    const y = graph.tensor(`${this.name}/output`, shape);
    const saved = graph.tensor(`${this.name}/row statistics`, [size.rows, 2]); // mean, 1/sqrt(var + eps)
    graph.add({
      label: `${this.name} forward`,
      reads: [x],
      writes: [y, saved],
      createDispatches: async (bind) => [await layerNormForward(device, size, options, { x: bind(x), gammaBeta: gammaBeta(bind), y: bind(y), saved: bind(saved) })],
    });
    return {
      y,
      backward: (dY, needInputGrad) => {
        const affine = this.weightSlots.length;
        if (affine > 0 && this.weightSlots[0].trainable) {
          const terms = graph.tensor(`${this.name}/gamma and beta gradient terms`, [size.rows, affine, cols]); // dY·xhat, dY
          graph.add({
            label: `${this.name} gamma and beta gradients`,
            reads: [x, saved, dY.d],
            writes: [terms],
            createDispatches: (bind, scratch) =>
              layerNormAffineGradient(device, size, options, { x: bind(x), saved: bind(saved), dY: bind(dY.d), terms: bind(terms), dGammaBeta: weights.gradRange(this.weightSlots[0], affine) }, scratch),
          });
        }
        if (!needInputGrad) return undefined;
        const dX = graph.tensor(`${this.name}/dInput`, shape);
        graph.add({
          label: `${this.name} input gradient`,
          reads: [x, saved, dY.d],
          writes: [dX],
          createDispatches: async (bind) => [await layerNormInputGradient(device, size, options, { x: bind(x), gammaBeta: gammaBeta(bind), saved: bind(saved), dY: bind(dY.d), dX: bind(dX) })],
        });
        return { d: dX, reluApplied: false };
      },
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): LayerNormalization {
    for (const [key, value] of FIXED_INITIALIZERS) {
      if (takeInitializer(c, key, value) !== value) c.unsupported(key, c.config[key]);
    }
    // rms_scaling: true normalizes by the root mean square alone, which the engine does not implement.
    if (c.config.rms_scaling === true) c.unsupported('rms_scaling', true);
    const axis = c.take('axis') ?? -1;
    if (!(typeof axis === 'number' || (Array.isArray(axis) && axis.length === 1))) c.unsupported('axis', axis);
    const [gamma, beta] = [readWeightOptions(c, 'gamma'), readWeightOptions(c, 'beta')];
    return new LayerNormalization({
      ...args,
      axis: axis as number | number[],
      epsilon: c.number('epsilon', 1e-3),
      center: c.bool('center', true),
      scale: c.bool('scale', true),
      gammaRegularizer: gamma.regularizer,
      betaRegularizer: beta.regularizer,
      gammaConstraint: gamma.constraint,
      betaConstraint: beta.constraint,
    });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    // Keras 3 writes [-1] once built; tf.keras and TF.js the axis they resolved at build, as a list.
    if (flavor !== 'keras3' && this.outputShape.length === 0) this.fail("tf.keras' and TF.js' configs name the input's last axis: build the model first");
    const constrained = this.gammaOptions.constraint || this.betaOptions.constraint;
    if (flavor === 'tfjs' && constrained) this.fail("TF.js' LayerNormalization takes no constraints: a model with gamma or beta constraints is not saved in the TF.js format");
    const gamma = this.scale ? this.weightSlots[0] : undefined;
    const beta = this.center ? this.weightSlots.at(-1) : undefined;
    return {
      axis: flavor === 'keras3' ? [-1] : [this.outputShape.length],
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      ...(flavor === 'keras3' ? { rms_scaling: false } : {}),
      ...Object.fromEntries(FIXED_INITIALIZERS.map(([key, value]) => [key, initializerConfig(value, flavor)])),
      ...regularizerEntry('beta', this.betaOptions, flavor),
      ...regularizerEntry('gamma', this.gammaOptions, flavor),
      ...(flavor === 'tfjs' ? {} : { ...constraintEntry('beta', this.betaOptions, beta, flavor), ...constraintEntry('gamma', this.gammaOptions, gamma, flavor) }),
    };
  }
}

/** The initial values of gamma and beta, in Keras' key order; Keras lets them differ, the engine does not. */
const FIXED_INITIALIZERS: [string, 'zeros' | 'ones'][] = [
  ['beta_initializer', 'zeros'],
  ['gamma_initializer', 'ones'],
];
