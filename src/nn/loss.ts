/**
 * Losses. Categorical cross-entropy (one-hot targets) and sparse categorical cross-entropy
 * (integer labels, expanded to one-hot by the host) both run as softmax fused with the
 * cross-entropy on the output layer's logits, which is exact and numerically stable.
 */
import type { TensorId } from '../graph/graph.js';
import type { LossRecorder } from './step-compiler.js';
import { crossEntropyMetrics, softmax, softmaxCrossEntropy } from '../kernels/softmax.js';
import type { Layer, RecordContext } from './layers/layer.js';

export type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';

const ALIASES: Record<string, LossName> = {
  categoricalCrossentropy: 'categoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
};

export function createLoss(name: string, outputLayer: Layer | undefined): LossRecorder {
  if (!ALIASES[name]) throw new Error(`unknown loss '${name}' (supported: categoricalCrossentropy, sparseCategoricalCrossentropy)`);
  const activation = (outputLayer as { activation?: string } | undefined)?.activation;
  if (activation !== 'softmax') {
    throw new Error(`${name} needs a softmax output: give the last layer activation 'softmax' (it has ${activation ?? 'none'})`);
  }
  return {
    record(ctx: RecordContext, logits: TensorId, targets: TensorId, metrics: GPUBuffer, training: boolean) {
      const { graph, device, batch } = ctx;
      const classes = graph.shape(logits)[1];
      const shape = { batch, classes };
      const metricsRange = { buffer: metrics, offset: 0, size: 16 };
      if (!training) {
        graph.add({
          label: 'cross-entropy metrics',
          reads: [logits, targets],
          writes: [],
          createDispatches: (bind, scratch) => crossEntropyMetrics(device, shape, { logits: bind(logits), targets: bind(targets), metrics: metricsRange }, scratch),
        });
        return undefined;
      }
      const dLogits = graph.tensor('dLogits', [batch, classes]);
      graph.add({
        label: 'softmax cross-entropy',
        reads: [logits, targets],
        writes: [dLogits],
        createDispatches: (bind, scratch) =>
          softmaxCrossEntropy(device, shape, { logits: bind(logits), targets: bind(targets), dLogits: bind(dLogits), metrics: metricsRange }, scratch),
      });
      return dLogits;
    },
    recordProbabilities(ctx: RecordContext, logits: TensorId) {
      const { graph, device, batch } = ctx;
      const classes = graph.shape(logits)[1];
      const probabilities = graph.tensor('probabilities', [batch, classes]);
      graph.add({
        label: 'softmax',
        reads: [logits],
        writes: [probabilities],
        createDispatches: async (bind) => [await softmax(device, { rows: batch, cols: classes }, { x: bind(logits), y: bind(probabilities) })],
      });
      return probabilities;
    },
  };
}
