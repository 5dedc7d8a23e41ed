/** Rescaling: y = x · scale + offset (Keras' Rescaling, e.g. scale 1/255 on raw pixels); no weights. */
import type { TensorId } from '../../graph/graph.js';
import { scaleBackward, scaleForward } from '../../kernels/scale.js';
import type { WeightSpec } from '../weights.js';
import type { ConfigReader, KerasConfig } from './keras-config.js';
import { Layer, elements, recordElementwise, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

export interface RescalingArgs extends LayerArgs {
  scale: number;
  /** Default 0. */
  offset?: number;
}

export class Rescaling extends Layer {
  readonly className = 'Rescaling';
  readonly namePrefix = 'rescaling';
  readonly keras3BuildConfig = false;
  readonly scale: number;
  readonly offset: number;

  constructor(args: RescalingArgs) {
    super('Rescaling', args, ['scale', 'offset'], {});
    const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
    if (!finite(args.scale)) throw new Error(`Rescaling: scale must be one finite number (per-channel scales are not supported), got ${JSON.stringify(args.scale)}`);
    if (args.offset !== undefined && !finite(args.offset)) throw new Error(`Rescaling: offset must be a finite number, got ${JSON.stringify(args.offset)}`);
    this.scale = args.scale;
    this.offset = args.offset ?? 0;
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    this.outputShape = [...inputShape];
    return [];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    const { graph, device } = ctx;
    const shape = graph.shape(x);
    const count = elements(shape);
    const y = recordElementwise(graph, `${this.name}/output`, [x], shape, (bind, y) => scaleForward(device, count, this.scale, this.offset, { x: bind(x), y }));
    return {
      y,
      backward: (dY) => {
        const dX = recordElementwise(graph, `${this.name}/dInput`, [dY.d], shape, (bind, dX) => scaleBackward(device, count, this.scale, { dY: bind(dY.d), dX }));
        return { d: dX, reluApplied: false };
      },
    };
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Rescaling {
    return new Rescaling({ ...args, scale: c.take('scale') as number, offset: (c.take('offset') as number | undefined) ?? 0 });
  }

  config(): KerasConfig {
    return { scale: this.scale, offset: this.offset };
  }
}
