/**
 * MaxPooling2D and AveragePooling2D over NHWC, Keras defaults (strides = poolSize, padding
 * 'valid'), and GlobalMaxPooling2D and GlobalAveragePooling2D: those pools with the whole
 * image as their window.
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
    return recordMaxPool(ctx, x, input, this.name, this.geometry!, this.outputShape);
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

/** A max pool (its forward, argmax and backward) of x, (batch, ...) → (batch, ...outputShape). */
function recordMaxPool(ctx: RecordContext, x: TensorId, input: InputFacts, name: string, geometry: Omit<PoolParams, 'batch'>, outputShape: number[]): Recorded {
  const { graph, device, batch } = ctx;
  const p: PoolParams = { ...geometry, batch };
  const outShape = [batch, ...outputShape];
  // When x is a ReLU's output, the argmax skips windows whose maximum is ≤ 0, which makes the
  // backward that ReLU's backward too (src/kernels/pool.ts), at no extra cost.
  const reluInput = input.reluOutput;
  const y = graph.tensor(`${name}/output`, outShape);
  // Where each output's maximum came from, for the backward; inference does not need it.
  const argmax = graph.tensor(`${name}/argmax`, outShape);
  graph.add({
    label: `${name} forward`,
    reads: [x],
    writes: [y, argmax],
    createDispatches: async (bind) => [await maxPoolForward(device, p, { x: bind(x), y: bind(y), argmax: bind(argmax) }, reluInput)],
  });
  const inputShape = graph.shape(x);
  return {
    y,
    backward: (dY) => {
      const dX = graph.tensor(`${name}/dInput`, inputShape);
      graph.add({
        label: reluInput ? `${name} backward +relu backward` : `${name} backward`,
        reads: [dY.d, argmax],
        writes: [dX],
        createDispatches: async (bind) => [await maxPoolBackward(device, p, { dY: bind(dY.d), argmax: bind(argmax), dX: bind(dX) })],
      });
      return { d: dX, reluApplied: reluInput };
    },
  };
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

/**
 * A pool whose window is the whole image: [h, w, c] → [c] (or [1, 1, c] with keepdims). The
 * pool kernels write (batch, 1, 1, channels), the same values in the same order as (batch, channels).
 */
abstract class GlobalPooling2D extends Layer {
  readonly keras3BuildConfig = false;
  readonly keepdims: boolean;
  protected geometry?: Omit<PoolParams, 'batch'>;

  constructor(args: GlobalPoolingArgs, kind: string) {
    super(kind, args, ['keepdims'], { dataFormat: FIXED.dataFormat });
    if (args.keepdims !== undefined && typeof args.keepdims !== 'boolean') throw new Error(`${kind}: keepdims must be true or false, got ${JSON.stringify(args.keepdims)}`);
    this.keepdims = args.keepdims ?? false;
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    if (inputShape.length !== 3) this.fail(`expects input [height, width, channels], got [${inputShape}]`);
    const [height, width, channels] = inputShape;
    const geometry = poolGeometry({ height, width, poolH: height, poolW: width, strideH: height, strideW: width, padding: 'valid' });
    this.geometry = { ...geometry, channels };
    this.outputShape = this.keepdims ? [1, 1, channels] : [channels];
    return [];
  }

  config(): KerasConfig {
    // TF.js' layers have no keepdims; it is written there too, so that the file reads back as it was.
    return { data_format: 'channels_last', keepdims: this.keepdims };
  }
}

/** keepdims from a global pooling layer's Keras config (absent in TF.js' and older Keras'). */
function readGlobalPoolingArgs(c: ConfigReader, args: LayerArgs): GlobalPoolingArgs {
  c.channelsLast();
  const keepdims = c.take('keepdims');
  return { ...args, keepdims: keepdims === undefined ? undefined : (keepdims as boolean) };
}

/** GlobalAveragePooling2D: each channel's mean over the image. */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  readonly className = 'GlobalAveragePooling2D';
  readonly namePrefix = 'global_average_pooling2d';

  constructor(args: GlobalPoolingArgs = {}) {
    super(args, 'GlobalAveragePooling2D');
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): GlobalAveragePooling2D {
    return new GlobalAveragePooling2D(readGlobalPoolingArgs(c, args));
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    return recordAveragePool(ctx, x, this.name, this.geometry!, this.outputShape);
  }
}

/** GlobalMaxPooling2D: each channel's maximum over the image. */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  readonly className = 'GlobalMaxPooling2D';
  readonly namePrefix = 'global_max_pooling2d';

  constructor(args: GlobalPoolingArgs = {}) {
    super(args, 'GlobalMaxPooling2D');
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): GlobalMaxPooling2D {
    return new GlobalMaxPooling2D(readGlobalPoolingArgs(c, args));
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    return recordMaxPool(ctx, x, input, this.name, this.geometry!, this.outputShape);
  }
}
