/**
 * What a model starts from instead of its initialisers when it was read from a file
 * (loadModel, src/io/keras-file): its weights and, where the file saved one, its optimizer
 * with that optimizer's state. compile() applies it.
 */
import type { OptimizerConfig } from './optimizers.js';
import type { WeightStore } from './weights.js';
import type { LossSpec } from './loss.js';

export interface SavedOptimizer {
  config: OptimizerConfig;
  /** Optimizer steps already taken (Keras' iterations; Adam's t). */
  iterations: number;
  /**
   * slots[s][i]: state slot s (the kind's layout in src/nn/optimizers.ts) of the i-th
   * trainable weight, in that weight's shape. A slot the file does not hold (an empty list,
   * or past the end: SGD without momentum, RMSprop's unused slots) starts at zero. Absent:
   * the optimizer never took a step, and starts as a new one does.
   */
  slots?: Float32Array[][];
}

export interface InitialState {
  /** Every weight, in getWeights() order. */
  weights: Float32Array[];
  optimizer?: SavedOptimizer;
  /** Why the file's optimizer is not restored, when it had one. */
  optimizerNote?: string;
  /** The file's loss, where it names one the engine has (compile's default). */
  loss?: LossSpec;
}

/** The saved state laid out as the optimizer's flat buffer (slots, paramCount), alignment gaps zero. */
export function flatOptimizerState(store: WeightStore, saved: Required<SavedOptimizer>, slotCount: number): Float32Array {
  if (saved.slots.length > slotCount) throw new Error(`the saved ${saved.config.kind} state has ${saved.slots.length} slots, the optimizer ${slotCount}`);
  const count = store.paramCount;
  const state = new Float32Array(slotCount * count); // (slots, count)
  const trainable = store.slots.filter((s) => s.trainable);
  saved.slots.forEach((values, s) => {
    if (values.length === 0) return;
    if (values.length !== trainable.length) throw new Error(`the saved ${saved.config.kind} state covers ${values.length} weights, the model has ${trainable.length} trainable ones`);
    trainable.forEach((slot, i) => {
      if (values[i].length !== slot.elements) throw new Error(`the saved ${saved.config.kind} state of ${slot.name} has ${values[i].length} values, the weight ${slot.elements}`);
      state.set(values[i], s * count + slot.offset);
    });
  });
  return state;
}
