/**
 * ZeroPadding2D and Cropping2D: rows and columns of zeros added around each image, or removed
 * from its edges, as Keras' layers (channels last). Both are one window copy
 * (src/kernels/pad.ts), and each one's gradient is the other's copy.
 */
import type { TensorId } from '../../graph/graph.js';
import { shiftWindow, shiftWindowBackward, type ShiftParams } from '../../kernels/pad.js';
import type { WeightSpec } from '../weights.js';
import { FIXED, Layer, recordElementwise, type LayerArgs, type RecordContext, type Recorded } from './layer.js';
import { list, type ConfigReader, type KerasConfig } from './keras-config.js';

/** Keras' forms: n on every side, [rows, cols] on both sides of each, or [[top, bottom], [left, right]]. */
export type EdgesArg = number | [number, number] | [[number, number], [number, number]];

/** [[top, bottom], [left, right]]. */
type Edges = [[number, number], [number, number]];

export interface ZeroPadding2DArgs extends LayerArgs {
  /** Default 1 on every side, Keras' default. */
  padding?: EdgesArg;
}

export interface Cropping2DArgs extends LayerArgs {
  /** Default 0. */
  cropping?: EdgesArg;
}

/** ZeroPadding2D: zeros around each image. */
export class ZeroPadding2D extends Layer {
  readonly className = 'ZeroPadding2D';
  readonly namePrefix = 'zero_padding2d';
  readonly keras3BuildConfig = false;
  readonly padding: Edges;

  constructor(args: ZeroPadding2DArgs = {}) {
    super('ZeroPadding2D', args, ['padding'], { dataFormat: FIXED.dataFormat });
    this.padding = edges('ZeroPadding2D', 'padding', args.padding ?? 1);
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    const [height, width, channels] = imageShape(this, inputShape);
    const [[top, bottom], [left, right]] = this.padding;
    this.outputShape = [height + top + bottom, width + left + right, channels];
    return [];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    const [[top], [left]] = this.padding;
    return recordShift(ctx, this.name, x, this.outputShape, top, left);
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): ZeroPadding2D {
    c.channelsLast();
    return new ZeroPadding2D({ ...args, padding: readEdges(c, 'padding') });
  }

  config(): KerasConfig {
    return { padding: this.padding.map((pair) => [...pair]), data_format: 'channels_last' };
  }
}

/** Cropping2D: rows and columns removed from each image's edges. */
export class Cropping2D extends Layer {
  readonly className = 'Cropping2D';
  readonly namePrefix = 'cropping2d';
  readonly keras3BuildConfig = false;
  readonly cropping: Edges;

  constructor(args: Cropping2DArgs = {}) {
    super('Cropping2D', args, ['cropping'], { dataFormat: FIXED.dataFormat });
    this.cropping = edges('Cropping2D', 'cropping', args.cropping ?? 0);
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    const [height, width, channels] = imageShape(this, inputShape);
    const [[top, bottom], [left, right]] = this.cropping;
    if (top + bottom >= height || left + right >= width) this.fail(`cropping ${JSON.stringify(this.cropping)} leaves nothing of a ${height}×${width} image`);
    this.outputShape = [height - top - bottom, width - left - right, channels];
    return [];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    const [[top], [left]] = this.cropping;
    return recordShift(ctx, this.name, x, this.outputShape, -top, -left);
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Cropping2D {
    c.channelsLast();
    return new Cropping2D({ ...args, cropping: readEdges(c, 'cropping') });
  }

  config(): KerasConfig {
    return { cropping: this.cropping.map((pair) => [...pair]), data_format: 'channels_last' };
  }
}

/** The window copy forward (output pixel (i, j) = input pixel (i − top, j − left)) and its gradient. */
function recordShift(ctx: RecordContext, name: string, x: TensorId, outputShape: number[], top: number, left: number): Recorded {
  const { graph, device, batch } = ctx;
  const [, inH, inW, channels] = graph.shape(x);
  const [outH, outW] = outputShape;
  const forward: ShiftParams = { batch, inH, inW, outH, outW, channels, top, left };
  const y = recordElementwise(graph, `${name}/output`, [x], [batch, ...outputShape], (bind, y) => shiftWindow(device, forward, { input: bind(x), output: y }, `${name} forward`));
  return {
    y,
    backward: (dY) => {
      const dX = recordElementwise(graph, `${name}/dInput`, [dY.d], graph.shape(x), (bind, dX) => shiftWindow(device, shiftWindowBackward(forward), { input: bind(dY.d), output: dX }, `${name} backward`));
      return { d: dX, reluApplied: false };
    },
  };
}

function imageShape(layer: Layer, inputShape: number[]): [number, number, number] {
  if (inputShape.length !== 3) throw new Error(`${layer.className} layer '${layer.name}': expects images [height, width, channels], got [${inputShape}]`);
  return inputShape as [number, number, number];
}

/** An EdgesArg checked and spelt out as [[top, bottom], [left, right]]. */
function edges(layer: string, arg: string, value: unknown): Edges {
  const fail = (): never => {
    throw new Error(`${layer}: ${arg} must be n, [rows, cols] or [[top, bottom], [left, right]] of non-negative integers, got ${JSON.stringify(value)}`);
  };
  const count = (v: unknown) => (Number.isInteger(v) && (v as number) >= 0 ? (v as number) : fail());
  if (typeof value === 'number') return [[count(value), count(value)], [count(value), count(value)]];
  if (!Array.isArray(value) || value.length !== 2) return fail();
  if (value.every((v) => typeof v === 'number')) return [[count(value[0]), count(value[0])], [count(value[1]), count(value[1])]];
  const pairs = value.map((v) => (Array.isArray(v) && v.length === 2 ? [count(v[0]), count(v[1])] : fail()));
  return pairs as Edges;
}

/** A Keras config's padding or cropping: an int, or (nested) lists, Keras 2's tuples included. */
function readEdges(c: ConfigReader, key: string): EdgesArg {
  const value = c.take(key);
  if (typeof value === 'number') return value;
  return list(value, `${c.where}: ${key}`).map((v) => (typeof v === 'number' ? v : list(v, `${c.where}: ${key}`))) as EdgesArg;
}
