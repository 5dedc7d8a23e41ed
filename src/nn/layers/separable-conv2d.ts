/**
 * SeparableConv2D (Keras'): a depthwise convolution, each input channel with its own
 * `depthMultiplier` filters and no bias, then a pointwise (1×1) convolution to `filters`
 * outputs, with the bias and the activation. Keras' weights, in its order: depthwise_kernel
 * (KH, KW, C, depthMultiplier), pointwise_kernel (1, 1, C·depthMultiplier, filters), bias
 * (filters). No kernels of its own: the depthwise kernels (src/kernels/depthwise.ts), then the
 * pointwise map as Dense's matmul over the N·OH·OW positions (recordLinear).
 */
import type { TensorId } from '../../graph/graph.js';
import type { DepthwiseParams } from '../../kernels/depthwise.js';
import type { Padding } from '../../kernels/window.js';
import { checkInitializer, initialize, kerasFans, type Initializer } from '../initializers.js';
import type { WeightSpec } from '../weights.js';
import { activationConfig, checkActivation, readActivation, type ActivationName } from './activation.js';
import { convWindow, convWindowConfig, readConvWindow, windowGeometry } from './conv-window.js';
import { recordDepthwise, recordDepthwiseBackward } from './depthwise-conv2d.js';
import { regularizerConfig, type ConfigReader, type KerasConfig, type KerasFlavor } from './keras-config.js';
import { constraintEntry, readWeightOptions, regularizerEntry, weightOptions, weightSpecOptions, type WeightOptions } from './weight-options.js';
import type { ConstraintArg } from '../constraints.js';
import { checkRegularizer, type RegularizerArg } from '../regularizers.js';
import { initializerConfig, takeInitializer } from './keras-initializers.js';
import { FIXED, Layer, positiveInt, type LayerArgs, type RecordContext, type Recorded } from './layer.js';
import { recordLinear } from './linear.js';

export interface SeparableConv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  /** Depthwise filters per input channel (default 1). */
  depthMultiplier?: number;
  /** As Conv2D's: above 1 only with strides 1. */
  dilationRate?: number | [number, number];
  activation?: ActivationName;
  useBias?: boolean;
  /** Keras' depthwise_initializer and pointwise_initializer (default glorotUniform each). */
  depthwiseInitializer?: Initializer;
  pointwiseInitializer?: Initializer;
  biasInitializer?: Initializer;
  /** Keras' depthwise_/pointwise_/bias_regularizer and _constraint, and activity_regularizer. */
  depthwiseRegularizer?: RegularizerArg;
  pointwiseRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
  depthwiseConstraint?: ConstraintArg;
  pointwiseConstraint?: ConstraintArg;
  biasConstraint?: ConstraintArg;
  activityRegularizer?: RegularizerArg;
}

export class SeparableConv2D extends Layer {
  readonly className = 'SeparableConv2D';
  readonly namePrefix = 'separable_conv2d';
  readonly keras3BuildConfig = true;
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly padding: Padding;
  readonly depthMultiplier: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly depthwiseInitializer: Initializer;
  readonly pointwiseInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly depthwiseOptions: WeightOptions;
  readonly pointwiseOptions: WeightOptions;
  readonly biasOptions: WeightOptions;
  private geometry?: Omit<DepthwiseParams, 'batch'>;

  constructor(args: SeparableConv2DArgs) {
    const kind = 'SeparableConv2D';
    const argNames = [
      ...['filters', 'kernelSize', 'strides', 'padding', 'depthMultiplier', 'dilationRate', 'activation', 'useBias', 'depthwiseInitializer', 'pointwiseInitializer', 'biasInitializer'],
      ...['depthwiseRegularizer', 'pointwiseRegularizer', 'biasRegularizer', 'depthwiseConstraint', 'pointwiseConstraint', 'biasConstraint', 'activityRegularizer'],
    ];
    super(kind, args, argNames, { dataFormat: FIXED.dataFormat });
    this.filters = positiveInt(kind, 'filters', args.filters);
    ({ kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate, padding: this.padding } = convWindow(kind, args));
    this.depthMultiplier = positiveInt(kind, 'depthMultiplier', args.depthMultiplier ?? 1);
    this.activation = checkActivation(kind, args.activation);
    if (this.activation === 'softmax') throw new Error(`${kind}: a softmax activation is not supported (it belongs on the model's Dense output)`);
    this.useBias = args.useBias ?? true;
    this.depthwiseInitializer = checkInitializer(`${kind}: depthwiseInitializer`, args.depthwiseInitializer ?? 'glorotUniform');
    this.pointwiseInitializer = checkInitializer(`${kind}: pointwiseInitializer`, args.pointwiseInitializer ?? 'glorotUniform');
    this.biasInitializer = checkInitializer(`${kind}: biasInitializer`, args.biasInitializer ?? 'zeros');
    this.depthwiseOptions = weightOptions(kind, 'depthwise', args.depthwiseRegularizer, args.depthwiseConstraint);
    this.pointwiseOptions = weightOptions(kind, 'pointwise', args.pointwiseRegularizer, args.pointwiseConstraint);
    this.biasOptions = weightOptions(kind, 'bias', args.biasRegularizer, args.biasConstraint);
    this.activityRegularizer = checkRegularizer(`${kind}: activityRegularizer`, args.activityRegularizer);
  }

  protected configure(inputShape: number[], random: () => number): WeightSpec[] {
    const geometry = windowGeometry(this, inputShape, (message) => this.fail(message));
    const [kernelH, kernelW] = this.kernelSize;
    const channels = inputShape[2];
    this.geometry = { ...geometry, channels, depthMultiplier: this.depthMultiplier };
    this.outputShape = [geometry.outH, geometry.outW, this.filters];
    const depthwiseShape = [kernelH, kernelW, channels, this.depthMultiplier];
    const pointwiseShape = [1, 1, channels * this.depthMultiplier, this.filters];
    const depthwiseFans = kerasFans(depthwiseShape);
    const pointwiseFans = kerasFans(pointwiseShape);
    const options = (weight: string, o: WeightOptions, shape: number[]) => weightSpecOptions(`${this.name}: ${weight}Constraint`, o, shape);
    const specs: WeightSpec[] = [
      { name: 'depthwise_kernel', shape: depthwiseShape, trainable: true, ...options('depthwise', this.depthwiseOptions, depthwiseShape), init: () => initialize(this.depthwiseInitializer, depthwiseShape, ...depthwiseFans, random) },
      { name: 'pointwise_kernel', shape: pointwiseShape, trainable: true, ...options('pointwise', this.pointwiseOptions, pointwiseShape), init: () => initialize(this.pointwiseInitializer, pointwiseShape, ...pointwiseFans, random) },
    ];
    const biasShape = [this.filters];
    if (this.useBias) specs.push({ name: 'bias', shape: biasShape, trainable: true, ...options('bias', this.biasOptions, biasShape), init: () => initialize(this.biasInitializer, biasShape, ...pointwiseFans, random) });
    return specs;
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    const { graph, batch } = ctx;
    const p: DepthwiseParams = { ...this.geometry!, batch };
    const [depthwise, pointwise, bias] = this.weightSlots;
    const rows = batch * p.outH * p.outW;
    const inner = p.channels * this.depthMultiplier;
    const d = graph.tensor(`${this.name}/depthwise output`, [rows, inner]); // (N·OH·OW, C·depthMultiplier)
    recordDepthwise(ctx, this.name, x, d, p, depthwise, undefined);
    // The pointwise kernel (1, 1, C·DM, filters) is the (C·DM, filters) matrix of a Dense over d's rows.
    const linear = recordLinear(ctx, this.name, d, [batch, ...this.outputShape], { rows, inner, units: this.filters }, pointwise, bias, this.activation, false);
    return {
      y: linear.y,
      reluOutput: linear.reluOutput,
      backward: (dY, needInputGrad) => {
        // dD, the gradient at the depthwise output: needed for its kernel's gradient or for dX.
        const dD = linear.backward(dY, depthwise.trainable || needInputGrad);
        if (dD === undefined) return undefined;
        const dX = recordDepthwiseBackward(ctx, this.name, x, dD, p, depthwise, needInputGrad);
        return dX === undefined ? undefined : { d: dX, reluApplied: false };
      },
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): SeparableConv2D {
    const [depthwise, pointwise, bias] = ['depthwise', 'pointwise', 'bias'].map((key) => readWeightOptions(c, key));
    return new SeparableConv2D({
      ...args,
      depthMultiplier: c.take('depth_multiplier') as number,
      filters: c.take('filters') as number,
      ...readConvWindow(c),
      activation: readActivation(c),
      useBias: c.bool('use_bias', true),
      depthwiseInitializer: takeInitializer(c, 'depthwise_initializer', 'glorotUniform'),
      pointwiseInitializer: takeInitializer(c, 'pointwise_initializer', 'glorotUniform'),
      biasInitializer: takeInitializer(c, 'bias_initializer', 'zeros'),
      depthwiseRegularizer: depthwise.regularizer,
      pointwiseRegularizer: pointwise.regularizer,
      biasRegularizer: bias.regularizer,
      depthwiseConstraint: depthwise.constraint,
      pointwiseConstraint: pointwise.constraint,
      biasConstraint: bias.constraint,
      activityRegularizer: c.regularizer('activity_regularizer'),
    });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return {
      depth_multiplier: this.depthMultiplier,
      filters: this.filters,
      ...convWindowConfig(this),
      activation: activationConfig(this.activation, flavor),
      use_bias: this.useBias,
      depthwise_initializer: initializerConfig(this.depthwiseInitializer, flavor),
      pointwise_initializer: initializerConfig(this.pointwiseInitializer, flavor),
      bias_initializer: initializerConfig(this.biasInitializer, flavor),
      ...regularizerEntry('depthwise', this.depthwiseOptions, flavor),
      ...regularizerEntry('pointwise', this.pointwiseOptions, flavor),
      ...regularizerEntry('bias', this.biasOptions, flavor),
      activity_regularizer: regularizerConfig(this.activityRegularizer, flavor),
      ...constraintEntry('depthwise', this.depthwiseOptions, this.weightSlots[0], flavor),
      ...constraintEntry('pointwise', this.pointwiseOptions, this.weightSlots[1], flavor),
      ...constraintEntry('bias', this.biasOptions, this.weightSlots[2], flavor),
    };
  }
}
