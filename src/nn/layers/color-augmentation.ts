/**
 * Keras' RandomContrast and RandomBrightness: at training time each sample's contrast or
 * brightness changes by its own random factor, clipped to the value range
 * (src/kernels/color-adjust.ts); identity at inference. The draws derive from the model's seed,
 * the step and the layer's name, as dropout's masks do. Like the other augmentation layers
 * (./augmentation.ts) they have no input gradient and belong at the model's input.
 */
import type { TensorId } from '../../graph/graph.js';
import type { ImageShape } from '../../kernels/affine-transform.js';
import { colorAdjust, type ColorAdjustment } from '../../kernels/color-adjust.js';
import { Augmentation, type Factor } from './augmentation.js';
import { hashName } from './dropout.js';
import type { ConfigReader, KerasConfig, KerasFlavor } from './keras-config.js';
import type { LayerArgs, RecordContext } from './layer.js';

export interface RandomContrastArgs extends LayerArgs {
  /**
   * The contrast factor's range, as Keras 3 reads it: a number f in [0, 1] draws from [1, 1 + f]
   * (Keras' lower bound is max(−f, 0)); a pair [a, b] from [1 − a, 1 + b].
   */
  factor: Factor;
  /** The pixels' range [min, max], to which the output is clipped (default [0, 255], Keras'). */
  valueRange?: [number, number];
}

export interface RandomBrightnessArgs extends LayerArgs {
  /**
   * The shift's range as fractions of the value range, within [−1, 1]: a number f draws from
   * [−|f|, |f|], a pair from [a, b] (sorted).
   */
  factor: Factor;
  /** The pixels' range [min, max]: the shift is a fraction of max − min, the output clipped to it (default [0, 255]). */
  valueRange?: [number, number];
}

/**
 * Keras 3's BaseImagePreprocessingLayer._set_factor within `bounds`: a number f in bounds gives
 * [max(−|f|, lowest), |f|]; a pair is sorted, refused only when its first end lies above the
 * bounds or its second below them (Keras checks no more).
 */
function imageFactorRange(where: string, value: unknown, [lowest, highest]: [number, number]): [number, number] {
  const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const problem = `${where} must be a number in [${lowest}, ${highest}] or a pair of numbers reaching into it, got ${JSON.stringify(value)}`;
  if (finite(value)) {
    if (value < lowest || value > highest) throw new Error(problem);
    return [Math.max(-Math.abs(value), lowest), Math.abs(value)];
  }
  if (Array.isArray(value) && value.length === 2 && value.every(finite)) {
    if (value[0] > highest || value[1] < lowest) throw new Error(problem);
    return [Math.min(value[0], value[1]), Math.max(value[0], value[1])];
  }
  throw new Error(problem);
}

/** A value range [min, max] of finite numbers; `sort` orders a pair given the wrong way round (RandomBrightness, as Keras). */
function valueRange(where: string, value: unknown, sort: boolean): [number, number] {
  if (value === undefined) return [0, 255];
  const pair = Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && Number.isFinite(v)) ? (value as [number, number]) : undefined;
  if (!pair) throw new Error(`${where} must be a pair of finite numbers [min, max], got ${JSON.stringify(value)}`);
  if (sort) return [Math.min(...pair), Math.max(...pair)];
  if (pair[0] > pair[1]) throw new Error(`${where} must be [min, max] with min ≤ max, got ${JSON.stringify(value)}`);
  return [pair[0], pair[1]];
}

/** How a layer reads its arguments: the factor's bounds (Keras' _FACTOR_BOUNDS), and whether a value range given the wrong way round is sorted. */
interface ColorArgRules {
  factorBounds: [number, number];
  sortRange: boolean;
}

/** The two layers' arguments and shared pass: the channel means (contrast) and the adjusted images. */
abstract class RandomColor extends Augmentation {
  readonly factor: Factor;
  /** The factor's range after Keras' reading (its self.factor, written back to configs). */
  protected readonly range: [number, number];
  readonly valueRange: [number, number];

  constructor(kind: string, args: LayerArgs & { factor: Factor; valueRange?: [number, number] }, rules: ColorArgRules) {
    super(kind, args, ['factor', 'valueRange']);
    this.range = imageFactorRange(`${kind}: factor`, args.factor, rules.factorBounds);
    this.factor = args.factor;
    this.valueRange = valueRange(`${kind}: valueRange`, args.valueRange, rules.sortRange);
  }

  /** What the kernel does with each sample's draw. */
  protected abstract adjustment(): ColorAdjustment;

  protected recordTransform(ctx: RecordContext, x: TensorId, shape: ImageShape): TensorId {
    const { graph, device, stepInfo } = ctx;
    const adjustment = this.adjustment();
    const layerSeed = hashName(this.name);
    const means = adjustment.kind === 'contrast' ? graph.tensor(`${this.name}/channel means`, [shape.batch, shape.channels]) : undefined;
    const y = graph.tensor(`${this.name}/output`, graph.shape(x));
    graph.add({
      label: `${this.name}/output`,
      reads: [x],
      writes: means === undefined ? [y] : [means, y],
      createDispatches: (bind) => colorAdjust(device, shape, adjustment, layerSeed, { stepInfo, x: bind(x), means: means === undefined ? undefined : bind(means), y: bind(y) }),
    });
    return y;
  }

  /** In Keras' order: the factor as the range it became, the value range, the seed. */
  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return { ...this.formatConfig(flavor), factor: [...this.range], value_range: [...this.valueRange], seed: null };
  }
}

/** The arguments of a Keras config (the seed is the model's, as for Dropout). */
function readColorArgs(c: ConfigReader): { factor: Factor; valueRange?: [number, number] } {
  c.channelsLast();
  c.take('seed'); // the engine's draws derive from the model's seed
  const range = c.take('value_range');
  return { factor: c.take('factor') as Factor, valueRange: range == null ? undefined : (range as [number, number]) };
}

export class RandomContrast extends RandomColor {
  readonly className = 'RandomContrast';
  readonly namePrefix = 'random_contrast';

  constructor(args: RandomContrastArgs) {
    super('RandomContrast', args, { factorBounds: [0, 1], sortRange: false });
  }

  protected adjustment(): ColorAdjustment {
    return { kind: 'contrast', factor: [1 - this.range[0], 1 + this.range[1]], range: this.valueRange };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): RandomContrast {
    return new RandomContrast({ ...args, ...readColorArgs(c) });
  }
}

export class RandomBrightness extends RandomColor {
  readonly className = 'RandomBrightness';
  readonly namePrefix = 'random_brightness';

  constructor(args: RandomBrightnessArgs) {
    super('RandomBrightness', args, { factorBounds: [-1, 1], sortRange: true });
  }

  /** Keras draws in the factor's range and scales the draw by the value range's width: the same as drawing in the scaled range. */
  protected adjustment(): ColorAdjustment {
    const width = this.valueRange[1] - this.valueRange[0];
    return { kind: 'brightness', factor: [this.range[0] * width, this.range[1] * width], range: this.valueRange };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): RandomBrightness {
    return new RandomBrightness({ ...args, ...readColorArgs(c) });
  }
}
