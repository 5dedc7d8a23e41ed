/**
 * MaxPooling2D and AveragePooling2D over NHWC, Keras defaults (strides = poolSize, padding
 * 'valid'), and GlobalAveragePooling2D: the average pool whose window is the whole image.
 */
import type { TensorId } from '../../graph/graph.js';
import type { Padding } from '../../kernels/window.js';
import { avgPoolBackward, avgPoolForward, maxPoolBackward, maxPoolForward, poolGeometry, type PoolParams } from '../../kernels/pool.js';
import type { WeightSpec } from '../weights.js';
import type { ConfigReader, KerasConfig } from './keras-config.js';
import { FIXED, Layer, pair, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

export interface PoolingArgs extends LayerArgs {
  poolSize?: number | [number, number];
  strides?: number | [number, number];
  padding?: Padding;
}

abstract class Pooling2D extends Layer {
  readonly keras3BuildConfig = false;
  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  protected geometry?: Omit<PoolParams, 'batch'>;

  /** `kind` names the layer class in argument errors (thrown before the subclass is set up). */
  constructor(args: PoolingArgs, kind: string) {
    super(kind, args, ['poolSize', 'strides', 'padding'], { dataFormat: FIXED.dataFormat });
    this.poolSize = pair(kind, 'poolSize', args.poolSize ?? 2);
    this.strides = pair(kind, 'strides', args.strides ?? this.poolSize);
    this.padding = args.padding ?? 'valid';
    if (this.padding !== 'valid' && this.padding !== 'same') throw new Error(`${kind}: padding must be 'valid' or 'same', got '${String(args.padding)}'`);
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    if (inputShape.length !== 3) this.fail(`expects input [height, width, channels], got [${inputShape}]`);
    const [height, width, channels] = inputShape;
    let geometry;
    try {
      geometry = poolGeometry({ height, width, poolH: this.poolSize[0], poolW: this.poolSize[1], strideH: this.strides[0], strideW: this.strides[1], padding: this.padding });
    } catch (err) {
      this.fail((err as Error).message);
    }
    this.geometry = { ...geometry, channels };
    this.outputShape = [geometry.outH, geometry.outW, channels];
    return [];
  }

  config(): KerasConfig {
    return { pool_size: [...this.poolSize], padding: this.padding, strides: [...this.strides], data_format: 'channels_last' };
  }
}

/** The arguments of either pooling layer from its Keras config (strides default to pool_size). */
function readPoolingArgs(c: ConfigReader, args: LayerArgs): PoolingArgs {
  c.channelsLast();
  const poolSize = c.pair('pool_size', 2);
  return { ...args, poolSize, strides: c.pair('strides', poolSize), padding: c.padding() };
}

export class MaxPooling2D extends Pooling2D {
  readonly className = 'MaxPooling2D';
  readonly namePrefix = 'max_pooling2d';

  constructor(args: PoolingArgs = {}) {
    super(args, 'MaxPooling2D');
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): MaxPooling2D {
    return new MaxPooling2D(readPoolingArgs(c, args));
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    const { graph, device, batch } = ctx;
    const p: PoolParams = { ...this.geometry!, batch };
    const outShape = [batch, ...this.outputShape];
    // When x is a ReLU's output, the argmax skips windows whose maximum is ≤ 0, which makes the
    // backward that ReLU's backward too (src/kernels/pool.ts), at no extra cost.
    const reluInput = input.reluOutput;
    const y = graph.tensor(`${this.name}/output`, outShape);
    // Where each output's maximum came from, for the backward; inference does not need it.
    const argmax = graph.tensor(`${this.name}/argmax`, outShape);
    graph.add({
      label: `${this.name} forward`,
      reads: [x],
      writes: [y, argmax],
      createDispatches: async (bind) => [await maxPoolForward(device, p, { x: bind(x), y: bind(y), argmax: bind(argmax) }, reluInput)],
    });
    const inputShape = graph.shape(x);
    return {
      y,
      backward: (dY) => {
        const dX = graph.tensor(`${this.name}/dInput`, inputShape);
        graph.add({
          label: reluInput ? `${this.name} backward +relu backward` : `${this.name} backward`,
          reads: [dY.d, argmax],
          writes: [dX],
          createDispatches: async (bind) => [await maxPoolBackward(device, p, { dY: bind(dY.d), argmax: bind(argmax), dX: bind(dX) })],
        });
        return { d: dX, reluApplied: reluInput };
      },
    };
  }
}

export class AveragePooling2D extends Pooling2D {
  readonly className = 'AveragePooling2D';
  readonly namePrefix = 'average_pooling2d';

  constructor(args: PoolingArgs = {}) {
    super(args, 'AveragePooling2D');
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): AveragePooling2D {
    return new AveragePooling2D(readPoolingArgs(c, args));
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    return recordAveragePool(ctx, x, this.name, this.geometry!, this.outputShape);
  }
}

/** An average pool (its forward and backward) of x, (batch, ...) → (batch, ...outputShape). */
function recordAveragePool(ctx: RecordContext, x: TensorId, name: string, geometry: Omit<PoolParams, 'batch'>, outputShape: number[]): Recorded {
  const { graph, device, batch } = ctx;
  const p: PoolParams = { ...geometry, batch };
  const y = graph.tensor(`${name}/output`, [batch, ...outputShape]);
  graph.add({
    label: `${name} forward`,
    reads: [x],
    writes: [y],
    createDispatches: async (bind) => [await avgPoolForward(device, p, { x: bind(x), y: bind(y) })],
  });
  const inputShape = graph.shape(x);
  return {
    y,
    backward: (dY) => {
      const dX = graph.tensor(`${name}/dInput`, inputShape);
      graph.add({
        label: `${name} backward`,
        reads: [dY.d],
        writes: [dX],
        createDispatches: async (bind) => [await avgPoolBackward(device, p, { dY: bind(dY.d), dX: bind(dX) })],
      });
      return { d: dX, reluApplied: false };
    },
  };
}

export interface GlobalPoolingArgs extends LayerArgs {
  /** Keep the output [1, 1, channels] instead of [channels] (Keras' keepdims; default false). */
  keepdims?: boolean;
}

/** GlobalAveragePooling2D: each channel's mean over the image, [h, w, c] → [c] (or [1, 1, c] with keepdims). */
export class GlobalAveragePooling2D extends Layer {
  readonly className = 'GlobalAveragePooling2D';
  readonly namePrefix = 'global_average_pooling2d';
  readonly keras3BuildConfig = false;
  readonly keepdims: boolean;
  private geometry?: Omit<PoolParams, 'batch'>;

  constructor(args: GlobalPoolingArgs = {}) {
    super('GlobalAveragePooling2D', args, ['keepdims'], { dataFormat: FIXED.dataFormat });
    if (args.keepdims !== undefined && typeof args.keepdims !== 'boolean') throw new Error(`GlobalAveragePooling2D: keepdims must be true or false, got ${JSON.stringify(args.keepdims)}`);
    this.keepdims = args.keepdims ?? false;
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    if (inputShape.length !== 3) this.fail(`expects input [height, width, channels], got [${inputShape}]`);
    const [height, width, channels] = inputShape;
    // One window over the whole image: the average pool's geometry with pool = strides = (h, w).
    const geometry = poolGeometry({ height, width, poolH: height, poolW: width, strideH: height, strideW: width, padding: 'valid' });
    this.geometry = { ...geometry, channels };
    this.outputShape = this.keepdims ? [1, 1, channels] : [channels];
    return [];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    // The pool writes (batch, 1, 1, channels), the same values in the same order as (batch, channels).
    return recordAveragePool(ctx, x, this.name, this.geometry!, this.outputShape);
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): GlobalAveragePooling2D {
    c.channelsLast();
    const keepdims = c.take('keepdims');
    return new GlobalAveragePooling2D({ ...args, keepdims: keepdims === undefined ? undefined : (keepdims as boolean) });
  }

  config(): KerasConfig {
    // TF.js' layer has no keepdims; it is written there too, so that the file reads back as it was.
    return { data_format: 'channels_last', keepdims: this.keepdims };
  }
}
