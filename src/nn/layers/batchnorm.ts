/**
 * BatchNormalization over the last axis (channels), Keras semantics: batch statistics and a
 * moving-average update in training, moving statistics at inference. Weights in Keras order:
 * gamma, beta (trainable, packed together) and moving mean, moving variance (packed).
 */
import type { TensorId } from '../../graph/graph.js';
import { batchNormBackward, batchNormInferForward, batchNormTrainForward, type BatchNormOptions } from '../../kernels/batchnorm.js';
import type { WeightSpec } from '../weights.js';
import { Layer, elements, type LayerArgs, type RecordContext, type Recorded } from './layer.js';

export interface BatchNormalizationArgs extends LayerArgs {
  momentum?: number;
  epsilon?: number;
  center?: boolean;
  scale?: boolean;
}

export class BatchNormalization extends Layer {
  readonly className = 'BatchNormalization';
  readonly namePrefix = 'batch_normalization';
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;

  constructor(args: BatchNormalizationArgs = {}) {
    super(args);
    this.momentum = args.momentum ?? 0.99;
    this.epsilon = args.epsilon ?? 1e-3;
    this.center = args.center ?? true;
    this.scale = args.scale ?? true;
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new Error(`BatchNormalization: momentum must be in [0, 1), got ${this.momentum}`);
    if (!(this.epsilon > 0)) throw new Error(`BatchNormalization: epsilon must be positive, got ${this.epsilon}`);
    // Keras drops the gamma or beta weight when these are off; the weight lists would then
    // differ from the engine's layout, so they are refused rather than silently kept.
    if (!this.center || !this.scale) throw new Error('BatchNormalization: center: false and scale: false are not supported yet');
  }

  protected configure(inputShape: number[]): WeightSpec[] {
    const channels = inputShape[inputShape.length - 1];
    this.outputShape = [...inputShape];
    const filled = (value: number) => () => new Float32Array(channels).fill(value);
    return [
      { name: 'gamma', shape: [channels], trainable: true, init: filled(1) },
      { name: 'beta', shape: [channels], trainable: true, init: filled(0), packWithPrevious: true },
      { name: 'moving_mean', shape: [channels], trainable: false, init: filled(0) },
      { name: 'moving_variance', shape: [channels], trainable: false, init: filled(1), packWithPrevious: true },
    ];
  }

  record(ctx: RecordContext, x: TensorId): Recorded {
    const { graph, device, weights } = ctx;
    const [gamma, , movingMean] = this.weightSlots;
    const shape = graph.shape(x);
    const channels = shape[shape.length - 1];
    const size = { rows: elements(shape) / channels, channels };
    const options: BatchNormOptions = { momentum: this.momentum, epsilon: this.epsilon };
    const gammaBeta = weights.range(gamma, 2); // (2, channels)
    const moving = weights.range(movingMean, 2); // (2, channels), updated by the training forward
    const y = graph.tensor(`${this.name}/output`, shape);
    if (!ctx.training) {
      graph.add({
        label: `${this.name} inference`,
        reads: [x],
        writes: [y],
        createDispatches: async (bind) => [await batchNormInferForward(device, size, options, { x: bind(x), gammaBeta, moving, y: bind(y) })],
      });
      return { y };
    }
    const saved = graph.tensor(`${this.name}/batch statistics`, [2, channels]); // mean, 1/sqrt(var + eps)
    graph.add({
      label: `${this.name} forward`,
      reads: [x],
      writes: [y, saved],
      createDispatches: async (bind) => [await batchNormTrainForward(device, size, options, { x: bind(x), gammaBeta, y: bind(y), moving, saved: bind(saved) })],
    });
    return {
      y,
      backward: (dY) => {
        const dX = graph.tensor(`${this.name}/dInput`, shape);
        graph.add({
          label: `${this.name} backward`,
          reads: [x, saved, dY],
          writes: [dX],
          createDispatches: async (bind) => [
            await batchNormBackward(device, size, options, { x: bind(x), gammaBeta, saved: bind(saved), dY: bind(dY), dX: bind(dX), dGammaBeta: weights.gradRange(gamma, 2) }),
          ],
        });
        return dX;
      },
    };
  }

  config(): Record<string, unknown> {
    return { momentum: this.momentum, epsilon: this.epsilon, center: this.center, scale: this.scale };
  }
}
