/**
 * Learning-rate schedules. `cosineDecay` is Keras' CosineDecay
 * (keras.optimizers.schedules.CosineDecay, without its warm-up), as a fit callback: optimizer
 * step t (0-based, the optimizer's own counter) trains at
 *   initialLearningRate × ((1 − alpha) × ½ (1 + cos(π · min(t, decaySteps) / decaySteps)) + alpha).
 * Keras hands the schedule to the optimizer as its learning_rate; here the callback sets the
 * rate before every step through the optimizer's setLearningRate (one 4-byte write queued after
 * the previous step's submit, so the compiled step stays as it is). Because it reads the
 * optimizer's step counter, a run resumed from a checkpoint continues the curve where it stopped.
 * Saved files (Keras, checkpoints) hold the rate of the step the run stopped before.
 */
import type { Callback } from './fit.js';
import { scheduleRate } from './schedules.js';
import type { SavableModel } from './savable-model.js';

export interface CosineDecayOptions {
  /** The rate of step 0. */
  initialLearningRate: number;
  /** Steps over which the rate falls; from then on it stays at alpha × initialLearningRate. */
  decaySteps: number;
  /** The floor, as a fraction of initialLearningRate (Keras' default 0). */
  alpha?: number;
}

/** The learning rate of optimizer step `step` (0-based) under cosine decay. */
export function cosineDecayRate(options: CosineDecayOptions, step: number): number {
  return scheduleRate({ kind: 'cosineDecay', ...options }, step);
}

/** A fit callback that sets the optimizer's rate of every step by cosine decay (see above). */
export function cosineDecay(options: CosineDecayOptions): Callback<Pick<SavableModel, 'trainingState'>> {
  const { initialLearningRate, decaySteps, alpha = 0 } = options;
  if (!(Number.isFinite(initialLearningRate) && initialLearningRate > 0)) {
    throw new Error(`cosineDecay: initialLearningRate must be a positive number, got ${initialLearningRate}`);
  }
  if (!(Number.isInteger(decaySteps) && decaySteps > 0)) throw new Error(`cosineDecay: decaySteps must be a positive integer, got ${decaySteps}`);
  if (!(Number.isFinite(alpha) && alpha >= 0 && alpha <= 1)) throw new Error(`cosineDecay: alpha must be between 0 and 1, got ${alpha}`);
  const checked = { initialLearningRate, decaySteps, alpha };
  let model: Pick<SavableModel, 'trainingState'> | undefined;
  // trainingState() is asked each time: after a lost device, fit trains on a rebuilt optimizer.
  const setRate = () => {
    const state = model!.trainingState();
    state.optimizer.setLearningRate(cosineDecayRate(checked, state.optimizerSteps));
  };
  return {
    setModel(m) {
      model = m;
    },
    onEpochBegin: setRate,
    onBatchEnd: setRate,
  };
}
