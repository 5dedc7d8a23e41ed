/**
 * Conv2D as im2col + matmul: col = im2col(x) (N·OH·OW, KH·KW·C), y = act(col·W + b) with W
 * HWIO (KH, KW, C, F) read as (KH·KW·C, F), giving NHWC output directly. Backward:
 * dW = colᵀ·dZ, db = Σ dZ, dX = col2im(dZ·Wᵀ). For 3×3 stride-1 layers the forward, dX and dW
 * may instead be Winograd (./conv2d-winograd.ts), as the tuner chooses per shape and direction.
 */
import type { TensorId } from '../../graph/graph.js';
import { CONV_ALGORITHMS, chooseConvAlgorithm, winogradTileOf, type ConvAlgorithm, type ConvAlgorithms, type ConvDirection } from '../../kernels/conv-algorithm.js';
import { col2im, im2col, type ConvParams } from '../../kernels/im2col.js';
import { winogradProblem } from '../../kernels/winograd.js';
import type { Padding } from '../../kernels/window.js';
import type { Initializer } from '../initializers.js';
import type { ConstraintArg, ConstraintSpec } from '../constraints.js';
import type { Regularizer, RegularizerArg } from '../regularizers.js';
import type { WeightSpec } from '../weights.js';
import { checkActivation, recordActivation, separateActivation, type ActivationName } from './activation.js';
import { recordWinogradForward, recordWinogradInputGradient, recordWinogradWeightGradient } from './conv2d-winograd.js';
import { regularizerConfig, type ConfigReader, type KerasConfig, type KerasFlavor } from './keras-config.js';
import { convWindow, convWindowConfig, readConvWindow, windowGeometry } from './conv-window.js';
import { FIXED, Layer, positiveInt, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';
import {
  linearConfig,
  linearConstraints,
  linearConstraintsConfig,
  linearInitializers,
  linearRegularizers,
  linearWeightSpecs,
  readLinearArgs,
  recordLinear,
  recordLinearInputGradient,
  recordOutputGradient,
  recordWeightGradient,
} from './linear.js';

export interface Conv2DArgs extends LayerArgs {
  filters: number;
  kernelSize: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
  /** Keras' dilation_rate: the kernel's taps this far apart (default 1); above 1 only with strides 1, as in Keras. */
  dilationRate?: number | [number, number];
  activation?: ActivationName;
  useBias?: boolean;
  kernelInitializer?: Initializer;
  biasInitializer?: Initializer;
  /** Keras' kernel_regularizer / bias_regularizer: src/nn/regularizers.ts. */
  kernelRegularizer?: RegularizerArg;
  biasRegularizer?: RegularizerArg;
  /** Keras' kernel_constraint / bias_constraint: src/nn/constraints.ts (a kernel's norm over [0, 1, 2], each filter). */
  kernelConstraint?: ConstraintArg;
  biasConstraint?: ConstraintArg;
  /** Keras' activity_regularizer: a penalty on the layer's output. */
  activityRegularizer?: RegularizerArg;
  /**
   * How the forward pass, the input gradient and the weight gradient are computed: 'auto'
   * (default) lets the tuner choose per shape (src/kernels/conv-algorithm.ts); 'im2col' or
   * 'winograd' (F(2×2, 3×3)) or 'winograd4' (F(4×4, 3×3); both 3×3, stride 1 only) forces one,
   * for tests and benchmarks; per direction, e.g.
   * { weightGradient: 'winograd' } (the others 'auto'). Not part of the Keras config.
   */
  algorithm?: ConvAlgorithmArg;
}

type ConvAlgorithmChoice = ConvAlgorithm | 'auto';
export type ConvAlgorithmArg = ConvAlgorithmChoice | Partial<Record<keyof ConvAlgorithms, ConvAlgorithmChoice>>;
const DIRECTIONS: Record<keyof ConvAlgorithms, ConvDirection> = { forward: 'forward', inputGradient: 'input gradient', weightGradient: 'weight gradient' };

/** The choice per direction an `algorithm` argument makes; throws, naming it, on anything else. */
function algorithmPerDirection(arg: unknown): Record<keyof ConvAlgorithms, ConvAlgorithmChoice> {
  const valid = (a: unknown): a is ConvAlgorithmChoice => a === 'auto' || (CONV_ALGORITHMS as readonly unknown[]).includes(a);
  const names = ['auto', ...CONV_ALGORITHMS].map((a) => `'${a}'`);
  const expected = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  if (typeof arg !== 'object' || arg === null) {
    if (!valid(arg)) throw new Error(`Conv2D: algorithm must be ${expected}, got '${String(arg)}'`);
    return { forward: arg, inputGradient: arg, weightGradient: arg };
  }
  const perDirection = { forward: 'auto', inputGradient: 'auto', weightGradient: 'auto' } as Record<keyof ConvAlgorithms, ConvAlgorithmChoice>;
  for (const [key, value] of Object.entries(arg)) {
    if (!(key in DIRECTIONS)) throw new Error(`Conv2D: algorithm's directions are ${Object.keys(DIRECTIONS).join(', ')}, got '${key}'`);
    if (!valid(value)) throw new Error(`Conv2D: algorithm.${key} must be ${expected}, got '${String(value)}'`);
    perDirection[key as keyof ConvAlgorithms] = value;
  }
  return perDirection;
}

export class Conv2D extends Layer {
  readonly className = 'Conv2D';
  readonly namePrefix = 'conv2d';
  readonly keras3BuildConfig = true;
  readonly filters: number;
  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly dilationRate: [number, number];
  readonly padding: Padding;
  readonly activation: ActivationName;
  readonly useBias: boolean;
  readonly kernelInitializer: Initializer;
  readonly biasInitializer: Initializer;
  readonly kernelRegularizer: Regularizer | undefined;
  readonly biasRegularizer: Regularizer | undefined;
  readonly kernelConstraint: ConstraintSpec | undefined;
  readonly biasConstraint: ConstraintSpec | undefined;
  /** As Conv2DArgs.algorithm; may be set before the model is compiled. */
  algorithm: ConvAlgorithmArg;
  private geometry?: Omit<ConvParams, 'batch'>;
  /** The algorithms prepare() chose, per batch size. */
  private readonly algorithms = new Map<number, ConvAlgorithms>();

  constructor(args: Conv2DArgs) {
    super('Conv2D', args, ['filters', 'kernelSize', 'strides', 'dilationRate', 'padding', 'activation', 'useBias', 'kernelInitializer', 'biasInitializer', 'kernelRegularizer', 'biasRegularizer', 'kernelConstraint', 'biasConstraint', 'activityRegularizer', 'algorithm'], {
      dataFormat: FIXED.dataFormat,
    });
    this.filters = positiveInt('Conv2D', 'filters', args.filters);
    ({ kernelSize: this.kernelSize, strides: this.strides, dilationRate: this.dilationRate, padding: this.padding } = convWindow('Conv2D', args));
    this.activation = checkActivation('Conv2D', args.activation);
    this.useBias = args.useBias ?? true;
    ({ kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer } = linearInitializers('Conv2D', args, 4));
    ({ kernelRegularizer: this.kernelRegularizer, biasRegularizer: this.biasRegularizer, activityRegularizer: this.activityRegularizer } = linearRegularizers('Conv2D', args));
    ({ kernelConstraint: this.kernelConstraint, biasConstraint: this.biasConstraint } = linearConstraints('Conv2D', args));
    this.algorithm = args.algorithm ?? 'auto';
    algorithmPerDirection(this.algorithm);
  }

  protected configure(inputShape: number[], random: () => number): WeightSpec[] {
    const geometry = windowGeometry(this, inputShape, (message) => this.fail(message));
    const [kernelH, kernelW] = this.kernelSize;
    const channels = inputShape[2];
    this.geometry = { ...geometry, channels };
    const forcedWinograd = Object.values(algorithmPerDirection(this.algorithm)).find((a) => a !== 'auto' && winogradTileOf(a) !== undefined);
    if (forcedWinograd) {
      const problem = winogradProblem({ ...this.geometry, batch: 1 });
      if (problem) this.fail(`algorithm '${forcedWinograd}': ${problem}`);
    }
    this.outputShape = [geometry.outH, geometry.outW, this.filters];
    const fanIn = kernelH * kernelW * channels;
    const fanOut = kernelH * kernelW * this.filters;
    return linearWeightSpecs(this, `Conv2D layer '${this.name}'`, [kernelH, kernelW, channels, this.filters], { fanIn, fanOut }, random);
  }

  /**
   * Picks the algorithm of the forward pass and (when the step needs them) of the input and
   * weight gradients for this batch: the forced one, or the tuner's choice among those that can
   * run the layer (the weight gradient's after the forward's, whose col or V it may reuse).
   */
  override async prepare(ctx: RecordContext, needs: { inputGradient: boolean; weightGradient: boolean }): Promise<void> {
    const p: ConvParams = { ...this.geometry!, batch: ctx.batch };
    const forced = algorithmPerDirection(this.algorithm);
    const choose = (direction: keyof ConvAlgorithms, forward?: ConvAlgorithm): Promise<ConvAlgorithm> => {
      const choice = forced[direction];
      if (choice !== 'auto') return Promise.resolve(choice);
      return chooseConvAlgorithm(ctx.device, p, this.filters, DIRECTIONS[direction], this.name, forward);
    };
    const known = this.algorithms.get(ctx.batch);
    const forward = await choose('forward');
    const inputGradient = needs.inputGradient ? await choose('inputGradient') : (known?.inputGradient ?? 'im2col');
    const weightGradient = needs.weightGradient && this.trainable ? await choose('weightGradient', forward) : (known?.weightGradient ?? 'im2col');
    this.algorithms.set(ctx.batch, { forward, inputGradient, weightGradient });
  }

  /** The algorithms of the step compiled at `batch` (the bench pairs its dispatches with them); undefined before. */
  algorithmsAt(batch: number): ConvAlgorithms | undefined {
    const chosen = this.algorithms.get(batch);
    return chosen && { ...chosen };
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    const { graph, batch } = ctx;
    const p: ConvParams = { ...this.geometry!, batch };
    const [kernel, bias] = this.weightSlots;
    const shape = { rows: batch * p.outH * p.outW, inner: p.kernelH * p.kernelW * p.channels, units: this.filters };
    const algorithm: ConvAlgorithms = this.algorithms.get(batch) ?? { forward: 'im2col', inputGradient: 'im2col', weightGradient: 'im2col' };
    // A 1×1 window with stride 1 makes col the input itself.
    const pointwise = shape.inner === p.channels && p.strideH === 1 && p.strideW === 1 && p.padding === 'valid';
    const recordCol = (): TensorId => {
      if (pointwise) return graph.reshape(x, `${this.name}/col`, [shape.rows, shape.inner]);
      const col = graph.tensor(`${this.name}/col`, [shape.rows, shape.inner]);
      graph.add({
        label: `${this.name} im2col`,
        reads: [x],
        writes: [col],
        createDispatches: async (bind) => [await im2col(ctx.device, p, { x: bind(x), col: bind(col) })],
      });
      return col;
    };

    // Forward: z = conv(x, W) + b, with a ReLU fused; a sigmoid or tanh after it as its own op.
    let col: TensorId | undefined;
    let v: TensorId | undefined; // Winograd's transformed input tiles
    let z: TensorId;
    let y: TensorId;
    const forwardTile = winogradTileOf(algorithm.forward);
    if (forwardTile !== undefined) {
      ({ z, v } = recordWinogradForward(ctx, this.name, x, p, this.filters, kernel, bias, this.activation === 'relu', forwardTile));
      const separate = separateActivation(this.activation);
      y = separate ? recordActivation(ctx, this.name, separate, z) : z;
    } else {
      col = recordCol();
      // Its backward is recorded below, piece by piece (reluInput: false, unused).
      ({ z, y } = recordLinear(ctx, this.name, col, [batch, ...this.outputShape], shape, kernel, bias, this.activation, false));
    }
    const inputShape = graph.shape(x);
    return {
      y,
      reluOutput: this.activation === 'relu',
      backward: (dY, needInputGrad) => {
        const dZ = recordOutputGradient(ctx, this.name, this.activation, z, y, dY);
        // dW by Winograd from the forward's V (same tile), or from x after another forward; or by
        // im2col + matmul from the forward's col, or after a Winograd forward from an im2col here.
        // (A frozen layer has none.)
        const weightTile = winogradTileOf(algorithm.weightGradient);
        if (kernel.trainable && weightTile !== undefined) {
          const input = v !== undefined && weightTile === forwardTile ? { v } : { x };
          recordWinogradWeightGradient(ctx, this.name, input, dZ, p, this.filters, kernel, bias, weightTile);
        } else if (kernel.trainable) {
          recordWeightGradient(ctx, this.name, col ?? recordCol(), dZ, shape, kernel, bias);
        }
        if (!needInputGrad) return undefined;
        // When x is a ReLU's output, the kernel that writes dX applies that ReLU's backward too (reading x).
        const masked = input.reluOutput;
        const inputTile = winogradTileOf(algorithm.inputGradient);
        if (inputTile !== undefined) {
          return { d: recordWinogradInputGradient(ctx, this.name, dZ, p, this.filters, kernel, masked ? x : undefined, inputTile), reluApplied: masked };
        }
        // A pointwise conv's dCol is dX: its matmul applies the mask (x, which is col).
        const dCol = recordLinearInputGradient(ctx, this.name, dZ, shape, kernel, pointwise && masked ? x : undefined);
        if (pointwise) return { d: graph.reshape(dCol, `${this.name}/dInput`, inputShape), reluApplied: masked };
        const dX = graph.tensor(`${this.name}/dInput`, inputShape);
        graph.add({
          label: masked ? `${this.name} col2im +relu backward` : `${this.name} col2im`,
          reads: masked ? [dCol, x] : [dCol],
          writes: [dX],
          createDispatches: async (bind) => [await col2im(ctx.device, p, { dCol: bind(dCol), dX: bind(dX), reluOutput: masked ? bind(x) : undefined })],
        });
        return { d: dX, reluApplied: masked };
      },
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Conv2D {
    const groups = c.take('groups');
    if (groups != null && groups !== 1) c.unsupported('groups', groups);
    const linear = readLinearArgs(c);
    return new Conv2D({
      ...args,
      filters: c.take('filters') as number,
      ...readConvWindow(c),
      ...linear,
    });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return {
      filters: this.filters,
      ...convWindowConfig(this),
      ...(flavor === 'tfjs' ? {} : { groups: 1 }), // TF.js' Conv2D has no groups
      ...linearConfig(this, flavor),
      activity_regularizer: regularizerConfig(this.activityRegularizer, flavor),
      ...linearConstraintsConfig(this, flavor),
    };
  }
}
