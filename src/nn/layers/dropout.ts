/**
 * Dropout: at training time drops each value with probability `rate` and scales the kept ones
 * by 1/(1−rate); identity at inference. SpatialDropout2D does so to whole feature maps;
 * AlphaDropout sets dropped values to SELU's negative saturation and maps all by Keras' a·x + b.
 */
import type { TensorId } from '../../graph/graph.js';
import { dropoutBackward, dropoutForward, type DropoutOptions } from '../../kernels/dropout.js';
import type { WeightSpec } from '../weights.js';
import type { ConfigReader, KerasConfig, KerasFlavor } from './keras-config.js';
import { FIXED, Layer, dropoutRate, elements, noneOf, recordElementwise, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

export interface DropoutArgs extends LayerArgs {
  rate: number;
}

export class Dropout extends Layer {
  readonly className = 'Dropout';
  readonly namePrefix = 'dropout';
  readonly keras3BuildConfig = false;
  readonly rate: number;

  constructor(args: DropoutArgs) {
    super('Dropout', args, ['rate'], noneOf(['noiseShape']));
    this.rate = dropoutRate('Dropout', args.rate);
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    this.outputShape = [...inputShape];
    return [];
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    return recordDropout(ctx, x, input, this.name, this.rate);
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Dropout {
    return new Dropout({ ...args, rate: readRate(c) });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return rateConfig(this.rate, flavor);
  }
}

/**
 * AlphaDropout (Keras'), for SELU networks: at training time each value is kept with
 * probability 1 − rate or set to SELU's negative saturation α' = −λα, then all are mapped by
 * a·x + b, which keep a zero-mean, unit-variance input so; identity at inference.
 */
export class AlphaDropout extends Layer {
  readonly className = 'AlphaDropout';
  readonly namePrefix = 'alpha_dropout';
  readonly keras3BuildConfig = false;
  readonly rate: number;

  constructor(args: DropoutArgs) {
    super('AlphaDropout', args, ['rate'], noneOf(['noiseShape']));
    this.rate = dropoutRate('AlphaDropout', args.rate);
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    this.outputShape = [...inputShape];
    return [];
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    return recordDropout(ctx, x, input, this.name, this.rate, { alpha: true });
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): AlphaDropout {
    return new AlphaDropout({ ...args, rate: readRate(c) });
  }

  config(flavor: KerasFlavor = 'keras3'): KerasConfig {
    return rateConfig(this.rate, flavor);
  }
}

/** The rate of a Dropout's or AlphaDropout's Keras config (noise_shape must be null; the seed is the model's). */
function readRate(c: ConfigReader): number {
  c.requireNull(['noise_shape']);
  c.take('seed'); // the engine's masks derive from the model's seed
  return c.take('rate') as number;
}

/** A Dropout's or AlphaDropout's Keras config: the same three keys, which Keras 3 writes in another order. */
function rateConfig(rate: number, flavor: KerasFlavor): KerasConfig {
  return flavor === 'keras3' ? { rate, seed: null, noise_shape: null } : { rate, noise_shape: null, seed: null };
}

/** SpatialDropout2D: at training time drops whole feature maps (a channel of a sample, every pixel) with probability `rate`; identity at inference. */
export class SpatialDropout2D extends Layer {
  readonly className = 'SpatialDropout2D';
  readonly namePrefix = 'spatial_dropout2d';
  readonly keras3BuildConfig = false;
  readonly rate: number;

  constructor(args: DropoutArgs) {
    super('SpatialDropout2D', args, ['rate'], { dataFormat: FIXED.dataFormat });
    this.rate = dropoutRate('SpatialDropout2D', args.rate);
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    if (inputShape.length !== 3) this.fail(`expects images [height, width, channels], got [${inputShape}]`);
    this.outputShape = [...inputShape];
    return [];
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    const [height, width, channels] = this.outputShape;
    return recordDropout(ctx, x, input, this.name, this.rate, { spatial: { pixels: height * width, channels } });
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): SpatialDropout2D {
    c.channelsLast();
    c.take('seed'); // the engine's masks derive from the model's seed
    return new SpatialDropout2D({ ...args, rate: c.take('rate') as number });
  }

  config(): KerasConfig {
    return { rate: this.rate, seed: null, data_format: 'channels_last' };
  }
}

/**
 * Dropout's ops (spatial: one mask bit per sample and channel; alpha: AlphaDropout's), or none
 * at inference or at rate 0.
 */
function recordDropout(ctx: RecordContext, x: TensorId, input: InputFacts, name: string, rate: number, kind: Pick<DropoutOptions, 'spatial' | 'alpha'> = {}): Recorded {
  if (!ctx.training || rate === 0) return { y: x, reluOutput: input.reluOutput, backward: (dY) => dY };
  // y = x·mask/(1 − rate) is positive exactly where x is and the mask kept it, and where the
  // mask dropped it the gradient is 0 anyway: a ReLU backward fused after this layer (zero
  // where y ≤ 0) equals the one before it, so the fact and the flag pass through. AlphaDropout's
  // a·x + b is no ReLU's output.
  const reluOutput = input.reluOutput && !kind.alpha;
  const { graph, device, stepInfo } = ctx;
  const shape = graph.shape(x);
  const count = elements(shape);
  // Each dropout layer draws its own mask: the layer seed comes from its (unique) name.
  const options: DropoutOptions = { rate, layerSeed: hashName(name), ...kind };
  const y = recordElementwise(graph, `${name}/output`, [x], shape, (bind, y) => dropoutForward(device, count, options, { stepInfo, x: bind(x), y }));
  return {
    y,
    reluOutput,
    backward: (dY) => {
      const dX = recordElementwise(graph, `${name}/dInput`, [dY.d], shape, (bind, dX) => dropoutBackward(device, count, options, { stepInfo, dY: bind(dY.d), dX }));
      return { d: dX, reluApplied: dY.reluApplied };
    },
  };
}

/** FNV-1a of the layer name: a stable u32 per layer. */
export function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
