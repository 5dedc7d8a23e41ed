/**
 * Conv2D as im2col + matmul: col = im2col(x) (N·OH·OW, KH·KW·C), y = act(col·W + b) with W
 * HWIO (KH, KW, C, F) read as (KH·KW·C, F), giving NHWC output directly. Backward:
 * dW = colᵀ·dZ, db = Σ dZ, dX = col2im(dZ·Wᵀ).
 */
import type { TensorId } from '../../graph/graph.js';
import { col2im, im2col, type ConvParams } from '../../kernels/im2col.js';
import { convGeometry, type Padding } from '../../kernels/window.js';
import { initialize, type Initializer } from '../initializers.js';
import type { WeightSpec } from '../weights.js';
import { checkActivation, type ActivationName } from './activation.js';
import { nulls, type ConfigReader, type KerasConfig, type KerasFlavor } from './keras-config.js';
import { Layer, pair, positiveInt, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';
import { linearConfig, readLinearArgs, recordLinear } from './linear.js';

export interface Conv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
}

export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly namePrefix = 'conv2d';
  readonly keras3BuildConfig = true;
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  private geometry?: Omit<ConvParams, 'batch'>;

  constructor(args: Conv2DArgs) {
    super(args);
    this.filters = positiveInt('Conv2D', 'filters', args.filters);
    this.kernelSize = pair('Conv2D', 'kernelSize', args.kernelSize);
    this.strides = pair('Conv2D', 'strides', args.strides ?? 1);
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same') throw new Error(`Conv2D: padding must be 'valid' or 'same', got '${String(args.padding)}'`);
    this.activation = checkActivation('Conv2D', args.activation);
    this.useBias = args.useBias ?? true;
    this.kernelInitializer = args.kernelInitializer ?? 'glorotUniform';
    this.biasInitializer = args.biasInitializer ?? 'zeros';
  }

  protected configure(inputShape: number[], random: () => number): WeightSpec[] {
    if (inputShape.length !== 3) this.fail(`expects input [height, width, channels], got [${inputShape}]`);
    const [height, width, channels] = inputShape;
    const [kernelH, kernelW] = this.kernelSize;
    const [strideH, strideW] = this.strides;
    let geometry;
    try {
      geometry = convGeometry({ height, width, kernelH, kernelW, strideH, strideW, padding: this.padding });
    } catch (err) {
      this.fail((err as Error).message);
    }
    this.geometry = { ...geometry, channels };
    this.outputShape = [geometry.outH, geometry.outW, this.filters];
    const fanIn = kernelH * kernelW * channels;
    const fanOut = kernelH * kernelW * this.filters;
    const specs: WeightSpec[] = [
      { name: 'kernel', shape: [kernelH, kernelW, channels, this.filters], trainable: true, init: () => initialize(this.kernelInitializer, fanIn * this.filters, fanIn, fanOut, random) },
    ];
    if (this.useBias) specs.push({ name: 'bias', shape: [this.filters], trainable: true, init: () => initialize(this.biasInitializer, this.filters, fanIn, fanOut, random) });
    return specs;
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    const { graph, device, batch } = ctx;
    const p: ConvParams = { ...this.geometry!, batch };
    const [kernel, bias] = this.weightSlots;
    const rows = batch * p.outH * p.outW;
    const inner = p.kernelH * p.kernelW * p.channels;
    // A 1×1 window with stride 1 makes col the input itself.
    const pointwise = inner === p.channels && p.strideH === 1 && p.strideW === 1 && p.padding === 'valid';
    let col: TensorId;
    if (pointwise) {
      col = graph.reshape(x, `${this.name}/col`, [rows, inner]);
    } else {
      col = graph.tensor(`${this.name}/col`, [rows, inner]);
      graph.add({
        label: `${this.name} im2col`,
        reads: [x],
        writes: [col],
        createDispatches: async (bind) => [await im2col(device, p, { x: bind(x), col: bind(col) })],
      });
    }
    // When x is a ReLU's output, its backward is applied on the way to dX: by col2im, or for a
    // pointwise conv (col = x) by the dCol matmul itself.
    const reluInput = input.reluOutput;
    const linear = recordLinear(ctx, this.name, col, [batch, ...this.outputShape], { rows, inner, units: this.filters }, kernel, bias, this.activation, pointwise && reluInput);
    const inputShape = graph.shape(x);
    return {
      y: linear.y,
      reluOutput: linear.reluOutput,
      backward: (dY, needInputGrad) => {
        const dCol = linear.backward(dY, needInputGrad);
        if (dCol === undefined) return undefined;
        if (pointwise) return { d: graph.reshape(dCol, `${this.name}/dInput`, inputShape), reluApplied: reluInput };
        const dX = graph.tensor(`${this.name}/dInput`, inputShape);
        const masked = reluInput;
        graph.add({
          label: masked ? `${this.name} col2im +relu backward` : `${this.name} col2im`,
          reads: masked ? [dCol, x] : [dCol],
          writes: [dX],
          createDispatches: async (bind) => [await col2im(device, p, { dCol: bind(dCol), dX: bind(dX), reluOutput: masked ? bind(x) : undefined })],
        });
        return { d: dX, reluApplied: masked };
      },
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Conv2D {
    c.channelsLast();
    if (!c.pair('dilation_rate', 1).every((d) => d === 1)) c.unsupported('dilation_rate', c.config.dilation_rate);
    const groups = c.take('groups');
    if (groups != null && groups !== 1) c.unsupported('groups', groups);
    const linear = readLinearArgs(c);
    return new Conv2D({
      ...args,
      filters: c.take('filters') as number,
      kernelSize: c.pair('kernel_size'),
      strides: c.pair('strides', 1),
      padding: c.padding(),
      ...linear,
    });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return {
      filters: this.filters,
      kernel_size: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      ...(flavor === 'tfjs' ? {} : { groups: 1 }), // TF.js' Conv2D has no groups
      ...linearConfig(this, flavor),
      ...nulls('kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'),
    };
  }
}
