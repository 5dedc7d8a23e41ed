/**
 * DepthwiseConv2D (Keras'): each input channel convolved with its own `depthMultiplier`
 * filters, output channel c·depthMultiplier + m, plus a bias and an activation. Its kernel is
 * Keras' (KH, KW, C, depthMultiplier); the kernels run it directly (src/kernels/depthwise.ts).
 */
import type { TensorId } from '../../graph/graph.js';
import { columnSum } from '../../kernels/column-sum.js';
import { depthwiseForward, depthwiseInputGradient, depthwiseKernelGradient, type DepthwiseParams } from '../../kernels/depthwise.js';
import type { Padding } from '../../kernels/window.js';
import { checkInitializer, initialize, kerasFans, type Initializer } from '../initializers.js';
import type { WeightSlot, WeightSpec } from '../weights.js';
import { activationConfig, checkActivation, readActivation, recordActivation, recordActivationBackward, type ActivationName } from './activation.js';
import { regularizerConfig, type ConfigReader, type KerasConfig, type KerasFlavor } from './keras-config.js';
import { constraintEntry, readWeightOptions, regularizerEntry, weightOptions, weightSpecOptions, type WeightOptions } from './weight-options.js';
import type { ConstraintArg } from '../constraints.js';
import { checkRegularizer, type RegularizerArg } from '../regularizers.js';
import { initializerConfig, takeInitializer } from './keras-initializers.js';
import { convWindow, convWindowConfig, readConvWindow, windowGeometry } from './conv-window.js';
import { FIXED, Layer, positiveInt, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

export interface DepthwiseConv2DArgs extends LayerArgs {
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  /** Filters per input channel (default 1). */
  depthMultiplier?: number;
  /** As Conv2D's: above 1 only with strides 1. */
  dilationRate?: number | [number, number];
  activation?: ActivationName;
  useBias?: boolean;
  /** Keras' depthwise_initializer (default glorotUniform). */
  depthwiseInitializer?: Initializer;
  biasInitializer?: Initializer;
  /** Keras' depthwise_/bias_regularizer and _constraint (src/nn/regularizers.ts, constraints.ts), and activity_regularizer. */
  depthwiseRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
  depthwiseConstraint?: ConstraintArg;
  biasConstraint?: ConstraintArg;
  activityRegularizer?: RegularizerArg;
}

export class DepthwiseConv2D extends Layer {
  readonly className = 'DepthwiseConv2D';
  readonly namePrefix = 'depthwise_conv2d';
  readonly keras3BuildConfig = true;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly padding: Padding;
  readonly depthMultiplier: number;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly depthwiseInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly depthwiseOptions: WeightOptions;
  readonly biasOptions: WeightOptions;
  private geometry?: Omit<DepthwiseParams, 'batch'>;

  constructor(args: DepthwiseConv2DArgs) {
    const kind = 'DepthwiseConv2D';
    const argNames = ['kernelSize', 'strides', 'padding', 'depthMultiplier', 'dilationRate', 'activation', 'useBias', 'depthwiseInitializer', 'biasInitializer', 'depthwiseRegularizer', 'biasRegularizer', 'depthwiseConstraint', 'biasConstraint', 'activityRegularizer'];
    super(kind, args, argNames, { dataFormat: FIXED.dataFormat });
    ({ kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate, padding: this.padding } = convWindow(kind, args));
    this.depthMultiplier = positiveInt(kind, 'depthMultiplier', args.depthMultiplier ?? 1);
    this.activation = checkActivation(kind, args.activation);
    if (this.activation === 'softmax') throw new Error(`${kind}: a softmax activation is not supported (it belongs on the model's Dense output)`);
    this.useBias = args.useBias ?? true;
    this.depthwiseInitializer = checkInitializer(`${kind}: depthwiseInitializer`, args.depthwiseInitializer ?? 'glorotUniform');
    this.biasInitializer = checkInitializer(`${kind}: biasInitializer`, args.biasInitializer ?? 'zeros');
    this.depthwiseOptions = weightOptions(kind, 'depthwise', args.depthwiseRegularizer, args.depthwiseConstraint);
    this.biasOptions = weightOptions(kind, 'bias', args.biasRegularizer, args.biasConstraint);
    this.activityRegularizer = checkRegularizer(`${kind}: activityRegularizer`, args.activityRegularizer);
  }

  protected configure(inputShape: number[], random: () => number): WeightSpec[] {
    const geometry = windowGeometry(this, inputShape, (message) => this.fail(message));
    const [kernelH, kernelW] = this.kernelSize;
    const channels = inputShape[2];
    this.geometry = { ...geometry, channels, depthMultiplier: this.depthMultiplier };
    const outputs = channels * this.depthMultiplier;
    this.outputShape = [geometry.outH, geometry.outW, outputs];
    const kernelShape = [kernelH, kernelW, channels, this.depthMultiplier];
    const fans = kerasFans(kernelShape);
    const specs: WeightSpec[] = [
      {
        name: 'kernel',
        shape: kernelShape,
        trainable: true,
        tfjsName: 'depthwise_kernel',
        ...weightSpecOptions(`${this.name}: depthwiseConstraint`, this.depthwiseOptions, kernelShape),
        init: () => initialize(this.depthwiseInitializer, kernelShape, ...fans, random),
      },
    ];
    if (this.useBias) {
      const biasShape = [outputs];
      specs.push({ name: 'bias', shape: biasShape, trainable: true, ...weightSpecOptions(`${this.name}: biasConstraint`, this.biasOptions, biasShape), init: () => initialize(this.biasInitializer, biasShape, ...fans, random) });
    }
    return specs;
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    const { graph, device, weights, batch } = ctx;
    const p: DepthwiseParams = { ...this.geometry!, batch };
    const [kernel, bias] = this.weightSlots;
    const z = graph.tensor(`${this.name}/output`, [batch, ...this.outputShape]);
    recordDepthwise(ctx, this.name, x, z, p, kernel, bias);
    const act = this.activation === 'linear' ? undefined : this.activation === 'silu' ? 'swish' : (this.activation as Exclude<ActivationName, 'silu' | 'softmax' | 'linear'>);
    const y = act ? recordActivation(ctx, this.name, act, z) : z;
    return {
      y,
      backward: (dY, needInputGrad) => {
        const dZ = act ? recordActivationBackward(ctx, this.name, act, { z, y }, dY.d) : dY.d;
        if (bias?.trainable) {
          const rows = batch * p.outH * p.outW;
          graph.add({
            label: `${this.name} bias gradient`,
            reads: [dZ],
            writes: [],
            createDispatches: (bind, scratch) => columnSum(device, { rows, cols: bias.elements }, { x: bind(dZ), out: weights.gradRange(bias) }, scratch),
          });
        }
        const dX = recordDepthwiseBackward(ctx, this.name, x, dZ, p, kernel, needInputGrad);
        return dX === undefined ? undefined : { d: dX, reluApplied: false };
      },
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): DepthwiseConv2D {
    const depthwise = readWeightOptions(c, 'depthwise');
    const bias = readWeightOptions(c, 'bias');
    return new DepthwiseConv2D({
      ...args,
      depthMultiplier: c.take('depth_multiplier') as number,
      ...readConvWindow(c),
      activation: readActivation(c),
      useBias: c.bool('use_bias', true),
      depthwiseInitializer: takeInitializer(c, 'depthwise_initializer', 'glorotUniform'),
      biasInitializer: takeInitializer(c, 'bias_initializer', 'zeros'),
      depthwiseRegularizer: depthwise.regularizer,
      biasRegularizer: bias.regularizer,
      depthwiseConstraint: depthwise.constraint,
      biasConstraint: bias.constraint,
      activityRegularizer: c.regularizer('activity_regularizer'),
    });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return {
      depth_multiplier: this.depthMultiplier,
      ...convWindowConfig(this),
      activation: activationConfig(this.activation, flavor),
      use_bias: this.useBias,
      depthwise_initializer: initializerConfig(this.depthwiseInitializer, flavor),
      bias_initializer: initializerConfig(this.biasInitializer, flavor),
      ...regularizerEntry('depthwise', this.depthwiseOptions, flavor),
      ...regularizerEntry('bias', this.biasOptions, flavor),
      activity_regularizer: regularizerConfig(this.activityRegularizer, flavor),
      ...constraintEntry('depthwise', this.depthwiseOptions, this.weightSlots[0], flavor),
      ...constraintEntry('bias', this.biasOptions, this.weightSlots[1], flavor),
    };
  }
}

/**
 * z = the depthwise convolution of x (+ bias): DepthwiseConv2D's, and SeparableConv2D's first half.
 *   x: (N, H, W, C)   z: (N, OH, OW, C·DM)   kernel: (KH, KW, C, DM)   bias: (C·DM) or none
 */
export function recordDepthwise(ctx: RecordContext, label: string, x: TensorId, z: TensorId, p: DepthwiseParams, kernel: WeightSlot, bias: WeightSlot | undefined): void {
  const { graph, device, weights } = ctx;
  graph.add({
    label: `${label} depthwise`,
    reads: [x],
    writes: [z],
    createDispatches: async (bind) => [await depthwiseForward(device, p, { x: bind(x), kernel: weights.range(kernel), bias: bias && weights.range(bias), y: bind(z) })],
  });
}

/**
 * Its backward from dZ (N, OH, OW, C·DM): the kernel's gradient where it is trainable, and dX
 * (N, H, W, C) when `needInputGrad` (else undefined). A bias's gradient is the caller's.
 */
export function recordDepthwiseBackward(ctx: RecordContext, label: string, x: TensorId, dZ: TensorId, p: DepthwiseParams, kernel: WeightSlot, needInputGrad: boolean): TensorId | undefined {
  const { graph, device, weights } = ctx;
  if (kernel.trainable) {
    graph.add({
      label: `${label} depthwise kernel gradient`,
      reads: [x, dZ],
      writes: [],
      createDispatches: (bind, scratch) => depthwiseKernelGradient(device, p, { x: bind(x), dZ: bind(dZ), dKernel: weights.gradRange(kernel) }, scratch),
    });
  }
  if (!needInputGrad) return undefined;
  const dX = graph.tensor(`${label}/dInput`, graph.shape(x));
  graph.add({
    label: `${label} depthwise input gradient`,
    reads: [dZ],
    writes: [dX],
    createDispatches: async (bind) => [await depthwiseInputGradient(device, p, { dZ: bind(dZ), kernel: weights.range(kernel), dX: bind(dX) })],
  });
  return dX;
}
