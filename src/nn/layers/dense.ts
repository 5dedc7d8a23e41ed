/** Dense: y = act(x·W + b), W [in, out] as Keras stores it. */
import type { TensorId } from '../../graph/graph.js';
import type { Initializer } from '../initializers.js';
import type { ConstraintArg, ConstraintSpec } from '../constraints.js';
import type { RegularizerArg, Regularizer } from '../regularizers.js';
import type { WeightSpec } from '../weights.js';
import { checkActivation, type ActivationName } from './activation.js';
import { regularizerConfig, type ConfigReader, type KerasConfig, type KerasFlavor } from './keras-config.js';
import { Layer, elements, positiveInt, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';
import { linearConfig, linearConstraints, linearConstraintsConfig, linearInitializers, linearRegularizers, linearWeightSpecs, readLinearArgs, recordLinear } from './linear.js';

export interface DenseArgs extends LayerArgs {
  units: number;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  /** Keras' kernel_regularizer / bias_regularizer: src/nn/regularizers.ts. */
  kernelRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
  /** Keras' kernel_constraint / bias_constraint: src/nn/constraints.ts. */
  kernelConstraint?: ConstraintArg;
  biasConstraint?: ConstraintArg;
  /** Keras' activity_regularizer: a penalty on the layer's output (not on a softmax one). */
  activityRegularizer?: RegularizerArg;
}

export class Dense extends Layer {
  readonly className = 'Dense';
  readonly namePrefix = 'dense';
  readonly keras3BuildConfig = true;
  readonly units: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  readonly kernelConstraint: ConstraintSpec | undefined;
  readonly biasConstraint: ConstraintSpec | undefined;

  constructor(args: DenseArgs) {
    super('Dense', args, ['units', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint', 'activityRegularizer']);
    this.units = positiveInt('Dense', 'units', args.units);
    this.activation = checkActivation('Dense', args.activation);
    this.useBias = args.useBias ?? true;
    ({ kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer } = linearInitializers('Dense', args, 2));
    ({ kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer, activityRegularizer: this.activityRegularizer } = linearRegularizers('Dense', args));
    ({ kernelConstraint: this.kernelConstraint, biasConstraint: this.biasConstraint } = linearConstraints('Dense', args));
  }

  // On an input of more than one axis, as in Keras, the same map applies along the last axis
  // at every position of the others: (..., inputs) → (..., units).
  protected configure(inputShape: number[], random: () => number): WeightSpec[] {
    const inputs = inputShape[inputShape.length - 1];
    this.outputShape = [...inputShape.slice(0, -1), this.units];
    return linearWeightSpecs(this, `Dense layer '${this.name}'`, [inputs, this.units], { fanIn: inputs, fanOut: this.units }, random);
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    const [kernel, bias] = this.weightSlots;
    const inputs = kernel.shape[0];
    const rows = ctx.batch * elements(this.outputShape.slice(0, -1)); // a row per sample and position
    // When x is a ReLU's output, the dX matmul applies that ReLU's backward (masked by x).
    const reluInput = input.reluOutput;
    const { y, reluOutput, backward } = recordLinear(
      ctx, this.name, x, [ctx.batch, ...this.outputShape],
      { rows, inner: inputs, units: this.units },
      kernel, bias, this.activation, reluInput,
    );
    return {
      y,
      reluOutput,
      backward: (dY, needInputGrad) => {
        const dX = backward(dY, needInputGrad);
        return dX === undefined ? undefined : { d: dX, reluApplied: reluInput };
      },
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Dense {
    const linear = readLinearArgs(c);
    return new Dense({ ...args, units: c.take('units') as number, ...linear });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return {
      units: this.units,
      ...linearConfig(this, flavor),
      // Keras 3's Dense writes activity_regularizer only when it has one.
      ...(flavor === 'keras3' && !this.activityRegularizer ? {} : { activity_regularizer: regularizerConfig(this.activityRegularizer, flavor) }),
      ...linearConstraintsConfig(this, flavor),
    };
  }
}
