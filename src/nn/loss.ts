/**
 * Losses. Categorical cross-entropy (one-hot targets) and sparse categorical cross-entropy
 * (integer labels, expanded to one-hot by the host) both run as softmax fused with the
 * cross-entropy on the output layer's logits, which is exact and numerically stable.
 *
 * The output layer's softmax is never computed by the layer itself: with a softmax output the
 * loss takes the layer's logits and predict applies the softmax. A model whose last layer is
 * linear outputs logits (Keras' `from_logits=True`, TensorFlow's beginner MNIST model): the
 * same fused kernel trains it, and predict returns the logits, as Keras' does.
 *
 * Keras' label smoothing (categorical cross-entropy's label_smoothing ε) trains and evaluates
 * against the targets t·(1 − ε) + ε/classes, which the host writes (inputs.ts' toTargets):
 * the fused kernel takes soft targets as they are.
 */
import type { TensorId } from '../graph/graph.js';
import { crossEntropyMetrics, softmax, softmaxCrossEntropy } from '../kernels/softmax.js';
import type { Layer, RecordContext } from './layers/layer.js';

export type LossName = 'categoricalCrossentropy' | 'sparseCategoricalCrossentropy';
/**
 * compile's loss: a name, or a name with fromLogits for a model whose last layer is linear
 * and, for categoricalCrossentropy, Keras' labelSmoothing.
 */
export type LossSpec = LossName | { name: LossName; fromLogits?: boolean; labelSmoothing?: number };
/** A LossSpec checked, with every field. */
export interface CheckedLoss {
  name: LossName;
  fromLogits: boolean;
  /** 0: none. */
  labelSmoothing: number;
}

const ALIASES: Record<string, LossName> = {
  categoricalCrossentropy: 'categoricalCrossentropy',
  categorical_crossentropy: 'categoricalCrossentropy',
  sparseCategoricalCrossentropy: 'sparseCategoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
};

/** What the step compiler records of a loss. */
export interface LossRecorder {
  /**
   * Records the loss on `logits` (batch, classes) against `targets` (batch, classes): adds
   * the batch's loss and accuracy sums to `metrics`, and in training returns dLoss/dLogits.
   */
  record(ctx: RecordContext, logits: TensorId, targets: TensorId, metrics: GPUBuffer, training: boolean): TensorId | undefined;
  /** Records predict's output: softmax(logits), or the logits themselves for a fromLogits loss. */
  recordProbabilities(ctx: RecordContext, logits: TensorId): TensorId;
  /** The loss compile was given, checked. */
  readonly spec: CheckedLoss;
}

/** A loss spec checked: its canonical name and whether the model outputs logits. */
export function checkLossSpec(spec: unknown): CheckedLoss {
  const known = 'supported: categoricalCrossentropy, sparseCategoricalCrossentropy, or { name, fromLogits, labelSmoothing }';
  if (typeof spec === 'string') {
    if (!ALIASES[spec]) throw new Error(`unknown loss '${spec}' (${known})`);
    return { name: ALIASES[spec], fromLogits: false, labelSmoothing: 0 };
  }
  if (typeof spec === 'object' && spec !== null && !Array.isArray(spec)) {
    const { name, fromLogits, labelSmoothing, ...rest } = spec as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new Error(`loss: unknown option '${extra[0]}' (a loss object takes name, fromLogits and labelSmoothing)`);
    if (typeof name !== 'string' || !ALIASES[name]) throw new Error(`unknown loss ${JSON.stringify(name)} (${known})`);
    if (fromLogits !== undefined && typeof fromLogits !== 'boolean') throw new Error(`loss: fromLogits must be true or false, got ${JSON.stringify(fromLogits)}`);
    const smoothing = labelSmoothing ?? 0;
    if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing < 1)) throw new Error(`loss: labelSmoothing must be a number in [0, 1), got ${JSON.stringify(labelSmoothing)}`);
    if (smoothing > 0 && ALIASES[name] !== 'categoricalCrossentropy') throw new Error(`loss: labelSmoothing is categoricalCrossentropy's (Keras' sparse loss has none)`);
    return { name: ALIASES[name], fromLogits: fromLogits === true, labelSmoothing: smoothing };
  }
  throw new Error(`loss must be a name or { name, fromLogits, labelSmoothing }, got ${typeof spec} (${known})`);
}

export function createLoss(spec: unknown, outputLayer: Layer | undefined): LossRecorder {
  const checked = checkLossSpec(spec);
  const { name, fromLogits } = checked;
  const activation = (outputLayer as { activation?: string } | undefined)?.activation;
  if (fromLogits && activation !== 'linear') {
    throw new Error(`${name} with fromLogits needs a linear last layer (its outputs are the logits); it has activation '${activation ?? 'none'}'`);
  }
  if (!fromLogits && activation !== 'softmax') {
    throw new Error(
      `${name} needs a softmax output: give the last layer activation 'softmax' (it has ${activation ?? 'none'})` +
        (activation === 'linear' ? `, or compile with loss { name: '${name}', fromLogits: true } for a model that outputs logits` : ''),
    );
  }
  return {
    spec: checked,
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
      if (fromLogits) return logits; // predict returns the model's output, the logits
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

/**
 * The loss for a model read from a file, for tools that load any model (the CLI, the demo): its
 * file's (a .keras file records it), else for a last layer that is linear the cross-entropy of
 * its logits (Keras' from_logits=True, as TensorFlow's beginner MNIST model ends), else the
 * cross-entropy of its softmax. The API's compile asks for fromLogits explicitly instead.
 */
export function lossForModel(model: { layers: readonly Layer[]; initialState?: { loss?: LossSpec } }): LossSpec {
  if (model.initialState?.loss) return model.initialState.loss;
  const last = model.layers[model.layers.length - 1] as { activation?: string } | undefined;
  return last?.activation === 'linear' ? { name: 'categoricalCrossentropy', fromLogits: true } : 'categoricalCrossentropy';
}
