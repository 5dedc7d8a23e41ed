/**
 * Training checkpoints: everything a resumed fit needs to continue exactly where it stopped,
 * in one safetensors file.
 *
 *   tensors    the weights under Keras' names (as in a weights file), and `optimizer/state`
 *              (slots, params): the optimizer's velocities / moments / accumulators over the
 *              flat parameter buffer (alignment gaps included)
 *   metadata   checkpoint: "webgpu-dl 1", epoch (epochs completed), step (optimizer steps
 *              taken: Adam's t and the dropout stream), seed (with the epoch, it gives the
 *              shuffle order), optimizer (its config, JSON), model (the Keras 3 JSON)
 *
 * The shuffle order of epoch e derives from (seed, e) alone, so no generator state is saved.
 */
import { withDefaults, type OptimizerConfig } from '../nn/optimizers.js';
import type { SavableModel } from '../nn/savable-model.js';
import { firstNonFinite } from '../nn/weights.js';
import { architectureDifference } from './architecture-diff.js';
import { toKerasJson } from './keras-json.js';
import { matchWeights, namedWeights } from './model-weights.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export const CHECKPOINT_VERSION = 'webgpu-dl 1';
const STATE_TENSOR = 'optimizer/state';

export interface CheckpointInfo {
  /** Epochs completed: pass it to fit as initialEpoch to resume. */
  epoch: number;
  /** Optimizer steps taken. */
  step: number;
  seed: number;
  optimizer: OptimizerConfig;
}

/** A checkpoint of a compiled model after `epoch` completed epochs. */
export async function encodeCheckpoint(model: SavableModel, epoch: number): Promise<Uint8Array> {
  const training = model.trainingState();
  const { optimizer } = training;
  const [slots, params] = optimizer.stateShape;
  const [tensors, state] = await Promise.all([namedWeights(model), optimizer.readState()]);
  return encodeSafetensors([...tensors, { name: STATE_TENSOR, shape: [slots, params], data: state }], {
    checkpoint: CHECKPOINT_VERSION,
    epoch: String(epoch),
    step: String(training.optimizerSteps),
    seed: String(training.seed),
    optimizer: JSON.stringify(optimizer.config),
    model: toKerasJson(model),
  });
}

/**
 * Restores a checkpoint into a compiled model of the same architecture, compiled with the
 * same seed and optimizer kind: weights, optimizer state and learning rate, step counter.
 * Everything is checked before anything is written; on error the model is unchanged.
 */
export function restoreCheckpoint(model: SavableModel, bytes: Uint8Array, what = 'checkpoint'): CheckpointInfo {
  const { tensors, metadata } = decodeSafetensors(bytes, what);
  if (metadata.checkpoint !== CHECKPOINT_VERSION) {
    throw new Error(`${what}: not a ${CHECKPOINT_VERSION} checkpoint${metadata.checkpoint ? ` (it says '${metadata.checkpoint}')` : ' (a weights file? load it with loadWeights)'}`);
  }
  const integer = (key: string): number => {
    const value = Number(metadata[key]);
    if (metadata[key] === undefined || !Number.isInteger(value) || value < 0) throw new Error(`${what}: metadata ${key} is ${JSON.stringify(metadata[key])}, not a count`);
    return value;
  };
  const epoch = integer('epoch');
  const step = integer('step');
  const seed = integer('seed');
  let saved: OptimizerConfig;
  try {
    saved = JSON.parse(metadata.optimizer) as OptimizerConfig;
  } catch {
    throw new Error(`${what}: metadata optimizer is not JSON`);
  }

  const training = model.trainingState();
  const { optimizer } = training;
  // The architecture first: any other mismatch follows from it.
  const difference = architectureDifference(metadata.model, model);
  if (difference) throw new Error(`${what}: written by a different architecture: ${difference}`);
  if (seed !== training.seed) throw new Error(`${what}: written by a model compiled with seed ${seed}; this one has seed ${training.seed}: compile with { seed: ${seed} } to resume it`);
  if (saved?.kind !== optimizer.config.kind) throw new Error(`${what}: holds ${String(saved?.kind)} optimizer state; this model is compiled with ${optimizer.config.kind}`);
  const [slots, params] = optimizer.stateShape;
  const state = tensors.find((t) => t.name === STATE_TENSOR);
  if (!state) throw new Error(`${what}: the optimizer state (${STATE_TENSOR}) is missing`);
  if (state.shape.length !== 2 || state.shape[0] !== slots || state.shape[1] !== params) {
    throw new Error(`${what}: ${STATE_TENSOR} has shape [${state.shape}], this model's ${optimizer.config.kind} needs [${slots}, ${params}]`);
  }
  const values = matchWeights(model, tensors.filter((t) => t !== state), what);
  const bad = firstNonFinite(state.data);
  if (bad >= 0) throw new Error(`${what}: ${STATE_TENSOR} holds ${state.data[bad]} at index ${bad}: optimizer state must be finite`);

  model.setWeights(values);
  optimizer.writeState(state.data);
  const rate = withDefaults(saved).learningRate;
  if (rate !== withDefaults(optimizer.config).learningRate) optimizer.setLearningRate(rate);
  training.optimizerSteps = step;
  return { epoch, step, seed, optimizer: saved };
}
