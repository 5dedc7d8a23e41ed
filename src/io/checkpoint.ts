/**
 * Training checkpoints: everything a resumed fit needs to continue exactly where it stopped,
 * in one safetensors file.
 *
 *   tensors    the weights under Keras' names (as in a weights file), and `optimizer/state`
 *              (slots, params): the optimizer's velocities / moments / accumulators over the
 *              flat parameter buffer (alignment gaps included)
 *   metadata   checkpoint: "webgpu-dl 2", epoch (epochs completed), step (optimizer steps
 *              taken: Adam's t and the dropout stream), seed (with the epoch, it gives the
 *              shuffle order), optimizer (its config, JSON), model (the Keras 3 JSON)
 *
 * Within an epoch (fit's onBatchEnd; version 2) it also holds where in the epoch:
 *
 *   tensors    `fit/metrics` (4): the epoch's running loss and accuracy sums so far
 *   metadata   batch (batches of the next epoch done), batch_size and samples (the batches'
 *              shape: a resume with others is refused), data (the training data's fingerprint:
 *              likewise; absent from files written before it was kept), epoch_seconds (time
 *              spent on them)
 *
 * The shuffle order of epoch e derives from (seed, e) alone, so no generator state is saved.
 * Version 1 files (per-epoch only, written before version 2 existed) load as batch 0.
 */
import { withDefaults, type OptimizerConfig } from '../nn/optimizers.js';
import type { SavableModel } from '../nn/savable-model.js';
import { firstNonFinite } from '../nn/weights.js';
import { architectureDifference } from './architecture-diff.js';
import { toKerasJson } from './keras-json.js';
import { matchWeights, namedWeights } from './model-weights.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

export const CHECKPOINT_VERSION = 'webgpu-dl 2';
/** Versions this code reads: 1 has no position within an epoch. */
const READABLE_VERSIONS = ['webgpu-dl 1', CHECKPOINT_VERSION];
const STATE_TENSOR = 'optimizer/state';
const METRICS_TENSOR = 'fit/metrics';

/** A checkpoint within an epoch was not written: the weights or optimizer state stopped being finite. */
export class NonFiniteCheckpointError extends Error {}

/** Where within an epoch a checkpoint is taken (fit's onBatchEnd tells it). */
export interface WithinEpoch {
  /** Batches of the next epoch done (1 ≤ batch < batches per epoch). */
  batch: number;
  batchSize: number;
  samples: number;
  /** The training data's fingerprint (fit's BatchEnd.data), when known. */
  data?: string;
  epochSeconds: number;
}

/** What a checkpoint holds besides the tensors; pass it to fit as `resumeFrom` to resume. */
export interface CheckpointInfo {
  /** Epochs completed: pass it to fit as initialEpoch to resume. */
  epoch: number;
  /** Batches of the next epoch done (0: the checkpoint is at an epoch's end). */
  batch: number;
  /** Seconds spent on those batches (0 at an epoch's end). */
  epochSeconds: number;
  /** (4) f32: those batches' running metric sums; only within an epoch. */
  metrics?: Float32Array;
  /** The batch size, training samples and data fingerprint of the run; only within an epoch. */
  batchSize?: number;
  samples?: number;
  data?: string;
  /** Optimizer steps taken. */
  step: number;
  seed: number;
  optimizer: OptimizerConfig;
}

/**
 * A checkpoint of a compiled model after `epoch` completed epochs and, `within` given, some
 * batches of the next. Within an epoch the values are checked first: a checkpoint holding a
 * NaN or an infinity (the loss diverged since the last read-back) is an error, not a file.
 */
export async function encodeCheckpoint(model: SavableModel, epoch: number, within?: WithinEpoch): Promise<Uint8Array> {
  const training = model.trainingState();
  const { optimizer } = training;
  const [slots, params] = optimizer.stateShape;
  const [tensors, state, metrics] = await Promise.all([namedWeights(model), optimizer.readState(), within ? training.readMetrics() : undefined]);
  const all = [...tensors, { name: STATE_TENSOR, shape: [slots, params], data: state }];
  if (within) {
    all.push({ name: METRICS_TENSOR, shape: [metrics!.length], data: metrics! });
    for (const t of all) {
      const bad = firstNonFinite(t.data);
      if (bad >= 0) throw new NonFiniteCheckpointError(`checkpoint within epoch ${epoch + 1}: ${t.name} holds ${t.data[bad]} at index ${bad}; not written`);
    }
  }
  return encodeSafetensors(all, {
    checkpoint: CHECKPOINT_VERSION,
    epoch: String(epoch),
    step: String(training.optimizerSteps),
    seed: String(training.seed),
    optimizer: JSON.stringify(optimizer.config),
    model: toKerasJson(model),
    ...(within && {
      batch: String(within.batch),
      batch_size: String(within.batchSize),
      samples: String(within.samples),
      ...(within.data !== undefined && { data: within.data }),
      epoch_seconds: String(within.epochSeconds),
    }),
  });
}

/**
 * Restores a checkpoint into a compiled model of the same architecture, compiled with the
 * same seed and optimizer kind: weights, optimizer state and learning rate, step counter.
 * Everything is checked before anything is written; on error the model is unchanged.
 */
export function restoreCheckpoint(model: SavableModel, bytes: Uint8Array, what = 'checkpoint'): CheckpointInfo {
  let decoded;
  try {
    decoded = decodeSafetensors(bytes, what);
  } catch (err) {
    throw new Error(`${(err as Error).message} (a webgpu-dl checkpoint is a safetensors file that --checkpoint or modelCheckpoint writes)`);
  }
  const { tensors, metadata } = decoded;
  if (!READABLE_VERSIONS.includes(metadata.checkpoint)) {
    throw new Error(
      metadata.checkpoint
        ? `${what}: a '${metadata.checkpoint}' checkpoint; this version of webgpu-dl reads ${READABLE_VERSIONS.join(' and ')}`
        : `${what}: not a webgpu-dl checkpoint (a weights file? load it with loadWeights)`,
    );
  }
  const integer = (key: string): number => {
    const value = Number(metadata[key]);
    if (metadata[key] === undefined || !Number.isInteger(value) || value < 0) throw new Error(`${what}: metadata ${key} is ${JSON.stringify(metadata[key])}, not a count`);
    return value;
  };
  const epoch = integer('epoch');
  const step = integer('step');
  const seed = integer('seed');
  const batch = metadata.batch === undefined ? 0 : integer('batch');
  const epochSeconds = metadata.epoch_seconds === undefined ? 0 : Number(metadata.epoch_seconds);
  if (!(epochSeconds >= 0)) throw new Error(`${what}: metadata epoch_seconds is ${JSON.stringify(metadata.epoch_seconds)}, not a duration`);
  const metrics = tensors.find((t) => t.name === METRICS_TENSOR);
  if (batch > 0 && (metrics?.shape.length !== 1 || metrics.shape[0] !== 4)) throw new Error(`${what}: taken within an epoch (batch ${batch}) but ${METRICS_TENSOR} (4 running sums) is missing or misshapen`);
  const within = batch > 0 ? { metrics: metrics!.data, batchSize: integer('batch_size'), samples: integer('samples'), ...(metadata.data !== undefined && { data: metadata.data }) } : {};
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
  const amsgrad = (c: OptimizerConfig) => c.amsgrad === true;
  if (amsgrad(saved) !== amsgrad(optimizer.config)) {
    throw new Error(`${what}: holds ${saved.kind} state ${amsgrad(saved) ? 'with' : 'without'} AMSGrad's v̂; this model's ${saved.kind} is compiled ${amsgrad(optimizer.config) ? 'with' : 'without'} amsgrad`);
  }
  const ema = (c: OptimizerConfig) => c.useEma === true;
  if (ema(saved) !== ema(optimizer.config)) {
    throw new Error(`${what}: holds ${saved.kind} state ${ema(saved) ? 'with' : 'without'} the weights' moving average; this model's ${saved.kind} is compiled ${ema(optimizer.config) ? 'with' : 'without'} useEma`);
  }
  const [slots, params] = optimizer.stateShape;
  const state = tensors.find((t) => t.name === STATE_TENSOR);
  if (!state) throw new Error(`${what}: the optimizer state (${STATE_TENSOR}) is missing`);
  if (state.shape.length !== 2 || state.shape[0] !== slots || state.shape[1] !== params) {
    throw new Error(`${what}: ${STATE_TENSOR} has shape [${state.shape}], this model's ${optimizer.config.kind} needs [${slots}, ${params}]`);
  }
  const values = matchWeights(model, tensors.filter((t) => t !== state && t !== metrics), what);
  const bad = firstNonFinite(state.data);
  if (bad >= 0) throw new Error(`${what}: ${STATE_TENSOR} holds ${state.data[bad]} at index ${bad}: optimizer state must be finite`);

  model.setWeights(values);
  optimizer.writeState(state.data);
  const rate = withDefaults(saved).learningRate;
  if (rate !== withDefaults(optimizer.config).learningRate) optimizer.setLearningRate(rate);
  training.optimizerSteps = step;
  return { epoch, batch, epochSeconds, ...within, step, seed, optimizer: saved };
}
