/**
 * GaussianNoise and GaussianDropout: at training time, zero-mean normal noise added to each
 * value (standard deviation `stddev`), or each value multiplied by normal noise of mean 1 and
 * standard deviation √(rate/(1 − rate)), as Keras' layers; identity at inference.
 */
import type { TensorId } from '../../graph/graph.js';
import { noiseBackward, noiseForward, type NoiseOptions } from '../../kernels/noise.js';
import type { WeightSpec } from '../weights.js';
import { hashName } from './dropout.js';
import type { ConfigReader, KerasConfig } from './keras-config.js';
import { Layer, dropoutRate, elements, recordElementwise, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

export interface GaussianNoiseArgs extends LayerArgs {
  stddev: number;
}

export interface GaussianDropoutArgs extends LayerArgs {
  rate: number;
}

export class GaussianNoise extends Layer {
  readonly className = 'GaussianNoise';
  readonly namePrefix = 'gaussian_noise';
  readonly keras3BuildConfig = false;
  readonly stddev: number;

  constructor(args: GaussianNoiseArgs) {
    super('GaussianNoise', args, ['stddev']);
    if (typeof args.stddev !== 'number' || !(args.stddev >= 0) || !Number.isFinite(args.stddev)) throw new Error(`GaussianNoise: stddev must be a finite number ≥ 0, got ${JSON.stringify(args.stddev)}`);
    this.stddev = args.stddev;
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    this.outputShape = [...inputShape];
    return [];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    return recordNoise(ctx, x, this.name, { kind: 'add', stddev: this.stddev, layerSeed: hashName(this.name) });
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): GaussianNoise {
    c.take('seed'); // the engine's draws derive from the model's seed
    return new GaussianNoise({ ...args, stddev: c.take('stddev') as number });
  }

  config(): KerasConfig {
    return { stddev: this.stddev, seed: null };
  }
}

export class GaussianDropout extends Layer {
  readonly className = 'GaussianDropout';
  readonly namePrefix = 'gaussian_dropout';
  readonly keras3BuildConfig = false;
  readonly rate: number;

  constructor(args: GaussianDropoutArgs) {
    super('GaussianDropout', args, ['rate']);
    this.rate = dropoutRate('GaussianDropout', args.rate);
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    this.outputShape = [...inputShape];
    return [];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    return recordNoise(ctx, x, this.name, { kind: 'multiply', stddev: Math.sqrt(this.rate / (1 - this.rate)), layerSeed: hashName(this.name) });
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): GaussianDropout {
    c.take('seed');
    return new GaussianDropout({ ...args, rate: c.take('rate') as number });
  }

  config(): KerasConfig {
    return { rate: this.rate, seed: null };
  }
}

/** The noise ops at training time (none at inference or with no noise). The output is no ReLU's: noise changes signs. */
function recordNoise(ctx: RecordContext, x: TensorId, name: string, options: NoiseOptions): Recorded {
  if (!ctx.training || options.stddev === 0) return { y: x, backward: (dY) => ({ d: dY.d, reluApplied: false }) };
  const { graph, device, stepInfo } = ctx;
  const shape = graph.shape(x);
  const count = elements(shape);
  const y = recordElementwise(graph, `${name}/output`, [x], shape, (bind, y) => noiseForward(device, count, options, { stepInfo, x: bind(x), y }));
  return {
    y,
    backward: (dY) => {
      // Added noise passes the gradient unchanged: no op.
      if (options.kind === 'add') return { d: dY.d, reluApplied: false };
      const dX = recordElementwise(graph, `${name}/dInput`, [dY.d], shape, (bind, dX) => noiseBackward(device, count, options, { stepInfo, dY: bind(dY.d), dX }));
      return { d: dX, reluApplied: false };
    },
  };
}
