/** Flatten: [h, w, c] → [h·w·c] in NHWC order, which is Keras' order. A reshape: no op, no copy. */
import type { TensorId } from '../../graph/graph.js';
import type { WeightSpec } from '../weights.js';
import type { ConfigReader, KerasConfig } from './keras-config.js';
import { FIXED, Layer, elements, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';
import { recordReshape } from './reshape.js';

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
    return recordReshape(ctx, x, input, this.name, this.outputShape);
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Flatten {
    c.channelsLast();
    return new Flatten(args);
  }

  config(): KerasConfig {
    return { data_format: 'channels_last' };
  }
}
