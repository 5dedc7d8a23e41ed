/**
 * Random image augmentation, Keras' RandomRotation, RandomZoom, RandomTranslation and
 * RandomFlip (and the base of RandomContrast and RandomBrightness, ./color-augmentation.ts): at training time each sample is rotated, zoomed, shifted or flipped by its own
 * random draw, sampled as keras.ops.image.affine_transform samples
 * (src/kernels/affine-transform.ts); identity at inference. The draws derive from the model's
 * seed, the step and the layer's name, as dropout's masks do.
 *
 * They have no input gradient (the transform's adjoint is a scatter), so they belong where
 * Keras' examples put them, at the model's input: before the first layer with trainable
 * weights, where no gradient is needed (src/nn/step-compiler.ts); checkInputGradients
 * (layer.ts) refuses them elsewhere when training starts. */
import type { TensorId } from '../../graph/graph.js';
import { affineTransform, FILL_MODES, INTERPOLATIONS, sampleTransforms, TRANSFORM_FLOATS, type FillMode, type ImageShape, type Interpolation, type TransformDraw } from '../../kernels/affine-transform.js';
import type { WeightSpec } from '../weights.js';
import { hashName } from './dropout.js';
import type { ConfigReader, KerasConfig, KerasFlavor } from './keras-config.js';
import { FIXED, Layer, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

/** A factor as Keras takes it: f for [−|f|, |f|], or [low, high]. */
export type Factor = number | [number, number];

export interface AugmentationArgs extends LayerArgs {
  /** Where a sample reads outside the image (default 'reflect', as Keras). */
  fillMode?: FillMode;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: Interpolation;
  /** The value read outside the image with fillMode 'constant' (default 0). */
  fillValue?: number;
}

export interface RandomRotationArgs extends AugmentationArgs {
  /** The angle's range as a fraction of a full turn, within [−1, 1]: 0.1 rotates by up to ±36°. */
  factor: Factor;
}

export interface RandomZoomArgs extends AugmentationArgs {
  /** The height's zoom range as fractions, within (−1, 1]: the map scales by 1 + a draw (above 1 zooms out). */
  heightFactor: Factor;
  /** The width's; absent, the width takes the height's draw (the aspect ratio kept). */
  widthFactor?: Factor;
}

export interface RandomTranslationArgs extends AugmentationArgs {
  /** The vertical shift's range as fractions of the height, within [−1, 1] (positive: down). */
  heightFactor: Factor;
  /** The horizontal shift's range as fractions of the width, within [−1, 1] (positive: right). */
  widthFactor: Factor;
}

const AUGMENTATION_ARGS = ['fillMode', 'interpolation', 'fillValue'];

/** Keras' _set_factor: [−|f|, |f|] for a number, a pair sorted; each end within bounds. */
function factorRange(where: string, value: unknown, lowest: number, lowestIncluded: boolean): [number, number] {
  const inRange = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v <= 1 && (lowestIncluded ? v >= lowest : v > lowest);
  const bounds = `${lowestIncluded ? '[' : '('}${lowest}, 1]`;
  if (typeof value === 'number' && inRange(value)) return [-Math.abs(value), Math.abs(value)];
  if (Array.isArray(value) && value.length === 2 && value.every(inRange)) return [Math.min(value[0], value[1]), Math.max(value[0], value[1])];
  throw new Error(`${where} must be a number or a pair of numbers in ${bounds}, got ${JSON.stringify(value)}`);
}

/** Where and how a layer samples (the kernel's fill). */
interface Fill {
  mode: FillMode;
  value: number;
  interpolation: Interpolation;
}

/**
 * What every augmentation layer shares (these and ./color-augmentation.ts'): images in, images
 * out; the transform at training time, identity at inference; no input gradient.
 */
export abstract class Augmentation extends Layer {
  readonly keras3BuildConfig = true;
  override readonly hasInputGradient = false;

  constructor(kind: string, args: LayerArgs, argNames: string[]) {
    super(kind, args, argNames, { dataFormat: FIXED.dataFormat });
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    if (inputShape.length !== 3) this.fail(`expects images [height, width, channels], got [${inputShape}]`);
    this.outputShape = [...inputShape];
    return [];
  }

  /** Records the training-time transform of x (batch, height, width, channels); returns its output, the same shape. */
  protected abstract recordTransform(ctx: RecordContext, x: TensorId, shape: ImageShape): TensorId;

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    const where = `${this.className} layer '${this.name}'`;
    const backward = () => {
      throw new Error(`${where}: it has no input gradient, so it must come before the first layer with trainable weights`);
    };
    if (!ctx.training) return { y: x, reluOutput: input.reluOutput, backward };
    const [height, width, channels] = this.outputShape;
    return { y: this.recordTransform(ctx, x, { batch: ctx.batch, height, width, channels }), backward };
  }

  /** Keras 3's leading data_format (not in tf.keras 2's configs). */
  protected formatConfig(flavor: KerasFlavor): KerasConfig {
    return flavor === 'keras3' ? { data_format: 'channels_last' } : {};
  }
}

/** The affine layers: one pass draws each sample's map, a second samples the input through it. */
abstract class RandomAffine extends Augmentation {
  /** How the second pass samples. */
  protected abstract get fill(): Fill;

  /** How each sample's map is drawn. */
  protected abstract draw(): TransformDraw;

  protected recordTransform(ctx: RecordContext, x: TensorId, shape: ImageShape): TensorId {
    const { graph, device, stepInfo } = ctx;
    const draw = this.draw();
    const layerSeed = hashName(this.name);
    const transforms = graph.tensor(`${this.name}/transforms`, [shape.batch, TRANSFORM_FLOATS]);
    graph.add({
      label: `${this.name}/transforms`,
      reads: [],
      writes: [transforms],
      createDispatches: async (bind) => [await sampleTransforms(device, shape, draw, layerSeed, { stepInfo, transforms: bind(transforms) })],
    });
    const y = graph.tensor(`${this.name}/output`, graph.shape(x));
    const fill = this.fill;
    graph.add({
      label: `${this.name}/output`,
      reads: [x, transforms],
      writes: [y],
      createDispatches: async (bind) => [await affineTransform(device, shape, fill, { x: bind(x), transforms: bind(transforms), y: bind(y) })],
    });
    return y;
  }
}

/** RandomFlip's maps land on pixels: it reads them unchanged. */
const EXACT: Fill = { mode: 'nearest', value: 0, interpolation: 'nearest' };

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';
const FLIP_MODES: readonly FlipMode[] = ['horizontal', 'vertical', 'horizontal_and_vertical'];

export interface RandomFlipArgs extends LayerArgs {
  /**
   * Which axes a flipped sample reverses (default 'horizontal_and_vertical'): each sample is
   * flipped with probability ½, both axes on the one draw as in Keras 3.
   */
  mode?: FlipMode;
}

export class RandomFlip extends RandomAffine {
  readonly className = 'RandomFlip';
  readonly namePrefix = 'random_flip';
  readonly mode: FlipMode;

  constructor(args: RandomFlipArgs = {}) {
    super('RandomFlip', args, ['mode']);
    this.mode = args.mode ?? 'horizontal_and_vertical';
    if (!FLIP_MODES.includes(this.mode)) throw new Error(`RandomFlip: mode must be one of ${FLIP_MODES.join(', ')}, got ${JSON.stringify(args.mode)}`);
  }

  protected get fill(): Fill {
    return EXACT;
  }

  protected draw(): TransformDraw {
    return { kind: 'flip', columns: this.mode !== 'vertical', rows: this.mode !== 'horizontal' };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): RandomFlip {
    c.channelsLast();
    c.take('seed'); // the engine's draws derive from the model's seed
    return new RandomFlip({ ...args, mode: c.take('mode') as FlipMode | undefined });
  }

  /** In Keras' order. */
  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return { ...this.formatConfig(flavor), seed: null, mode: this.mode };
  }
}

/** Rotation, zoom and translation: maps between pixels, sampled by the fill arguments. */
abstract class RandomGeometry extends RandomAffine {
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly fillValue: number;

  constructor(kind: string, args: AugmentationArgs, argNames: string[]) {
    super(kind, args, [...argNames, ...AUGMENTATION_ARGS]);
    this.fillMode = args.fillMode ?? 'reflect';
    if (!FILL_MODES.includes(this.fillMode)) throw new Error(`${kind}: fillMode must be one of ${FILL_MODES.join(', ')}, got ${JSON.stringify(args.fillMode)}`);
    this.interpolation = args.interpolation ?? 'bilinear';
    if (!INTERPOLATIONS.includes(this.interpolation)) throw new Error(`${kind}: interpolation must be one of ${INTERPOLATIONS.join(', ')}, got ${JSON.stringify(args.interpolation)}`);
    this.fillValue = args.fillValue ?? 0;
    if (typeof this.fillValue !== 'number' || !Number.isFinite(this.fillValue)) throw new Error(`${kind}: fillValue must be a finite number, got ${JSON.stringify(args.fillValue)}`);
  }

  protected get fill(): Fill {
    return { mode: this.fillMode, value: this.fillValue, interpolation: this.interpolation };
  }
}

/** The fill arguments of a Keras config (the seed is the model's, as for Dropout). */
function readFill(c: ConfigReader): AugmentationArgs {
  c.channelsLast();
  c.take('seed'); // the engine's draws derive from the model's seed
  return { fillMode: c.take('fill_mode') as FillMode | undefined, interpolation: c.take('interpolation') as Interpolation | undefined, fillValue: c.take('fill_value') as number | undefined };
}

/** RandomZoom's and RandomTranslation's fill arguments, in Keras' order. */
function fillConfig(layer: RandomGeometry): KerasConfig {
  return { fill_mode: layer.fillMode, interpolation: layer.interpolation, seed: null, fill_value: layer.fillValue };
}

/** A factor as given (number or pair), for the config: Keras writes back what it was given. */
function factorConfig(factor: Factor): number | number[] {
  return typeof factor === 'number' ? factor : [...factor];
}

export class RandomRotation extends RandomGeometry {
  readonly className = 'RandomRotation';
  readonly namePrefix = 'random_rotation';
  readonly factor: Factor;
  private readonly range: [number, number];

  constructor(args: RandomRotationArgs) {
    super('RandomRotation', args, ['factor']);
    this.range = factorRange('RandomRotation: factor', args.factor, -1, true);
    this.factor = args.factor;
  }

  protected draw(): TransformDraw {
    return { kind: 'rotation', radians: [this.range[0] * 2 * Math.PI, this.range[1] * 2 * Math.PI] };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): RandomRotation {
    return new RandomRotation({ ...args, ...readFill(c), factor: c.take('factor') as Factor });
  }

  /** In Keras' order; the factor as the range it became (Keras writes its self.factor so). */
  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return { ...this.formatConfig(flavor), factor: [...this.range], fill_mode: this.fillMode, fill_value: this.fillValue, interpolation: this.interpolation, seed: null };
  }
}

export class RandomZoom extends RandomGeometry {
  readonly className = 'RandomZoom';
  readonly namePrefix = 'random_zoom';
  readonly heightFactor: Factor;
  readonly widthFactor?: Factor;
  private readonly heightRange: [number, number];
  private readonly widthRange?: [number, number];

  constructor(args: RandomZoomArgs) {
    super('RandomZoom', args, ['heightFactor', 'widthFactor']);
    this.heightRange = factorRange('RandomZoom: heightFactor', args.heightFactor, -1, false);
    this.widthRange = args.widthFactor == null ? undefined : factorRange('RandomZoom: widthFactor', args.widthFactor, -1, false);
    this.heightFactor = args.heightFactor;
    this.widthFactor = args.widthFactor ?? undefined;
  }

  protected draw(): TransformDraw {
    const zoom = ([low, high]: [number, number]): [number, number] => [1 + low, 1 + high];
    return { kind: 'zoom', height: zoom(this.heightRange), ...(this.widthRange ? { width: zoom(this.widthRange) } : {}) };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): RandomZoom {
    const widthFactor = c.take('width_factor') as Factor | null;
    return new RandomZoom({ ...args, ...readFill(c), heightFactor: c.take('height_factor') as Factor, widthFactor: widthFactor ?? undefined });
  }

  /** In Keras' order; the factors as given. */
  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    const widthFactor = this.widthFactor === undefined ? null : factorConfig(this.widthFactor);
    return { ...this.formatConfig(flavor), height_factor: factorConfig(this.heightFactor), width_factor: widthFactor, ...fillConfig(this) };
  }
}

export class RandomTranslation extends RandomGeometry {
  readonly className = 'RandomTranslation';
  readonly namePrefix = 'random_translation';
  readonly heightFactor: Factor;
  readonly widthFactor: Factor;
  private readonly heightRange: [number, number];
  private readonly widthRange: [number, number];

  constructor(args: RandomTranslationArgs) {
    super('RandomTranslation', args, ['heightFactor', 'widthFactor']);
    this.heightRange = factorRange('RandomTranslation: heightFactor', args.heightFactor, -1, true);
    this.widthRange = factorRange('RandomTranslation: widthFactor', args.widthFactor, -1, true);
    this.heightFactor = args.heightFactor;
    this.widthFactor = args.widthFactor;
  }

  protected draw(): TransformDraw {
    return { kind: 'translation', height: this.heightRange, width: this.widthRange };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): RandomTranslation {
    return new RandomTranslation({ ...args, ...readFill(c), heightFactor: c.take('height_factor') as Factor, widthFactor: c.take('width_factor') as Factor });
  }

  /** In Keras' order; the factors as given. */
  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return { ...this.formatConfig(flavor), height_factor: factorConfig(this.heightFactor), width_factor: factorConfig(this.widthFactor), ...fillConfig(this) };
  }
}
