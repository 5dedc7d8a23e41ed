/**
 * PReLU (Keras' parametric ReLU): y = x where x > 0, alpha·x elsewhere, alpha learned. Its
 * weight `alpha` has the sample's shape with the shared axes set to 1 (Keras' shared_axes, 1-based
 * sample axes: [1, 2] gives an image one alpha per channel).
 */
import type { TensorId } from '../../graph/graph.js';
import { preluAlphaGradient, preluForward, preluInputGradient } from '../../kernels/prelu.js';
import { checkInitializer, initialize, kerasFans, type Initializer } from '../initializers.js';
import type { WeightSpec } from '../weights.js';
import type { ConfigReader, KerasConfig, KerasFlavor } from './keras-config.js';
import { constraintEntry, readWeightOptions, regularizerEntry, weightOptions, weightSpecOptions, type WeightOptions } from './weight-options.js';
import type { ConstraintArg } from '../constraints.js';
import type { RegularizerArg } from '../regularizers.js';
import { initializerConfig, takeInitializer } from './keras-initializers.js';
import { Layer, elements, recordElementwise, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

export interface PReLUArgs extends LayerArgs {
  /** Keras' alpha_initializer (default zeros: a ReLU to start with). */
  alphaInitializer?: Initializer;
  /** Keras' shared_axes: the sample axes (1-based) along which one alpha serves all positions. */
  sharedAxes?: number[] | null;
  /** Keras' alpha_regularizer and alpha_constraint (src/nn/regularizers.ts, constraints.ts). */
  alphaRegularizer?: RegularizerArg;
  alphaConstraint?: ConstraintArg;
}

export class PReLU extends Layer {
  readonly className = 'PReLU';
  readonly namePrefix = 'p_re_lu';
  readonly keras3BuildConfig = true;
  readonly alphaInitializer: Initializer;
  readonly sharedAxes: number[] | undefined;
  readonly alphaOptions: WeightOptions;

  constructor(args: PReLUArgs) {
    super('PReLU', args, ['alphaInitializer', 'sharedAxes', 'alphaRegularizer', 'alphaConstraint']);
    this.alphaOptions = weightOptions('PReLU', 'alpha', args.alphaRegularizer, args.alphaConstraint);
    this.alphaInitializer = checkInitializer('PReLU: alphaInitializer', args.alphaInitializer ?? 'zeros');
    const shared = args.sharedAxes ?? undefined;
    if (shared !== undefined && !(Array.isArray(shared) && shared.every((a) => Number.isInteger(a) && a >= 1))) {
      throw new Error(`PReLU: sharedAxes must be a list of sample axes (1, 2, ...), got ${JSON.stringify(shared)}`);
    }
    this.sharedAxes = shared && [...new Set(shared)].sort((a, b) => a - b);
  }

  protected configure(inputShape: number[], random: () => number): WeightSpec[] {
    const shared = this.sharedAxes ?? [];
    if (shared.some((a) => a > inputShape.length)) this.fail(`sharedAxes [${shared}] name an axis beyond the input's ${inputShape.length}`);
    // The kernels index alpha by i % (its size): the shared axes must lead, as Keras' [1] or [1, 2] do.
    if (!shared.every((a, i) => a === i + 1)) this.fail(`sharedAxes [${shared}] are not supported: only leading axes ([1], [1, 2], ...) share an alpha`);
    this.outputShape = [...inputShape];
    const shape = inputShape.map((d, i) => (shared.includes(i + 1) ? 1 : d));
    const options = weightSpecOptions(`${this.name}: alphaConstraint`, this.alphaOptions, shape);
    return [{ name: 'alpha', shape, trainable: true, ...options, init: () => initialize(this.alphaInitializer, shape, ...kerasFans(shape), random) }];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    const { graph, device, weights } = ctx;
    const [alpha] = this.weightSlots;
    const shape = graph.shape(x);
    const size = { count: elements(shape), alphas: alpha.elements };
    const y = recordElementwise(graph, `${this.name}/output`, [x], shape, (bind, y) => preluForward(device, size, { x: bind(x), alpha: weights.range(alpha), y }));
    return {
      y,
      backward: (dY, needInputGrad) => {
        if (alpha.trainable) {
          const terms = graph.tensor(`${this.name}/alpha gradient terms`, shape);
          graph.add({
            label: `${this.name} alpha gradient`,
            reads: [x, dY.d],
            writes: [terms],
            createDispatches: (bind, scratch) => preluAlphaGradient(device, size, { x: bind(x), dY: bind(dY.d), terms: bind(terms), dAlpha: weights.gradRange(alpha) }, scratch),
          });
        }
        if (!needInputGrad) return undefined;
        const dX = recordElementwise(graph, `${this.name}/dInput`, [x, dY.d], shape, (bind, dX) => preluInputGradient(device, size, { x: bind(x), alpha: weights.range(alpha), dY: bind(dY.d), dX }));
        return { d: dX, reluApplied: false };
      },
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): PReLU {
    const alpha = readWeightOptions(c, 'alpha');
    return new PReLU({
      ...args,
      alphaInitializer: takeInitializer(c, 'alpha_initializer', 'zeros'),
      alphaRegularizer: alpha.regularizer,
      alphaConstraint: alpha.constraint,
      sharedAxes: c.take('shared_axes') as number[] | null,
    });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return {
      alpha_initializer: initializerConfig(this.alphaInitializer, flavor),
      ...regularizerEntry('alpha', this.alphaOptions, flavor),
      ...constraintEntry('alpha', this.alphaOptions, this.weightSlots[0], flavor),
      shared_axes: this.sharedAxes ?? null,
    };
  }
}
