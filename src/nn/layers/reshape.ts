/**
 * Reshape: [...] → targetShape, the same values in the same (NHWC, row-major) order, as Keras'
 * Reshape; one entry of targetShape may be -1, inferred from the others. A reshape of the
 * graph's tensor: no op, no copy (as Flatten, which is Reshape to [-1]).
 */
import type { TensorId } from '../../graph/graph.js';
import type { WeightSpec } from '../weights.js';
import type { ConfigReader, KerasConfig } from './keras-config.js';
import { Layer, elements, type InputFacts, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

export interface ReshapeArgs extends LayerArgs {
  /** The output shape without the batch dimension, e.g. [28, 28, 1]; at most one -1. */
  targetShape: number[];
}

export class Reshape extends Layer {
  readonly className = 'Reshape';
  readonly namePrefix = 'reshape';
  readonly keras3BuildConfig = false;
  readonly targetShape: number[];

  constructor(args: ReshapeArgs) {
    super('Reshape', args, ['targetShape'], {});
    const target = args.targetShape;
    const valid = Array.isArray(target) && target.length > 0 && target.every((d) => d === -1 || (Number.isInteger(d) && d > 0)) && target.filter((d) => d === -1).length <= 1;
    if (!valid) throw new Error(`Reshape: targetShape must be a list of positive sizes with at most one -1, got ${JSON.stringify(target)}`);
    this.targetShape = [...target];
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    const count = elements(inputShape);
    const known = elements(this.targetShape.filter((d) => d !== -1));
    const inferred = count / known;
    const fits = this.targetShape.includes(-1) ? Number.isInteger(inferred) : known === count;
    if (!fits) throw new Error(`Reshape layer '${this.name}': the input [${inputShape}] has ${count} values, which do not fit the target shape [${this.targetShape}]`);
    this.outputShape = this.targetShape.map((d) => (d === -1 ? inferred : d));
    return [];
  }

  record(ctx: RecordContext, x: TensorId, input: InputFacts): Recorded {
    return recordReshape(ctx, x, input, this.name, this.outputShape);
  }

  static fromConfig(c: ConfigReader, args: LayerArgs): Reshape {
    return new Reshape({ ...args, targetShape: c.take('target_shape') as number[] });
  }

  config(): KerasConfig {
    return { target_shape: [...this.targetShape] };
  }
}

/** x seen as (batch, ...outputShape), and its gradient back as x's shape: no op, no copy (Reshape, Flatten). */
export function recordReshape(ctx: RecordContext, x: TensorId, input: InputFacts, name: string, outputShape: number[]): Recorded {
  const { graph } = ctx;
  const inShape = graph.shape(x);
  const y = graph.reshape(x, `${name}/output`, [ctx.batch, ...outputShape]);
  // The same values: a ReLU's output stays one, and a fused ReLU backward passes through.
  return {
    y,
    reluOutput: input.reluOutput,
    backward: (dY) => ({ d: graph.reshape(dY.d, `${name}/dInput`, inShape), reluApplied: dY.reluApplied }),
  };
}
