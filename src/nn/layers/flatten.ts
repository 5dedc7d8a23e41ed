/** Flatten: [h, w, c] → [h·w·c] in NHWC order, which is Keras' order. A reshape: no op, no copy. */
import type { TensorId } from '../../graph/graph.js';
import type { WeightSpec } from '../weights.js';
import type { ConfigReader, KerasConfig } from './keras-config.js';
import { FIXED, Layer, elements, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

export class Flatten extends Layer {
  readonly className = 'Flatten';
  readonly namePrefix = 'flatten';
  readonly keras3BuildConfig = true;

  constructor(args: LayerArgs = {}) {
    super('Flatten', args, [], { dataFormat: FIXED.dataFormat });
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    this.outputShape = [elements(inputShape)];
    return [];
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    const { graph } = ctx;
    const inShape = graph.shape(x);
    const y = graph.reshape(x, `${this.name}/output`, [ctx.batch, ...this.outputShape]);
    // The same values: a ReLU's output stays one, and a fused ReLU backward passes through.
    return {
      y,
      reluOutput: input.reluOutput,
      backward: (dY) => ({ d: graph.reshape(dY.d, `${this.name}/dInput`, inShape), reluApplied: dY.reluApplied }),
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Flatten {
    c.channelsLast();
    return new Flatten(args);
  }

  config(): KerasConfig {
    return { data_format: 'channels_last' };
  }
}
