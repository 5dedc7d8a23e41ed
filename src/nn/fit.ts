/**
 * The training loop of Sequential.fit and the evaluation loop it shares with evaluate():
 * batches drawn in a per-epoch shuffled order, compiled steps submitted back to back, metrics
 * read back every `progressEvery` steps, callbacks at each epoch's begin and end (a
 * checkpoint is one such callback, provided by src/io/model-checkpoint.ts).
 */
import { shuffledIndices } from '../data/batches.js';
import { elements } from '../data/shape.js';
import { checkImages, toTargets, type Labels } from './inputs.js';
import type { MetricsSnapshot, Runner } from './runner.js';
import type { ModelState } from './step-compiler.js';

export interface Logs {
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
}

export interface Progress {
  epoch: number;
  epochs: number;
  /** Training samples of this epoch the GPU has finished. */
  samplesDone: number;
  samplesTotal: number;
  /** Running means over this epoch so far. */
  loss: number;
  accuracy: number;
  /** Milliseconds since the epoch began. */
  elapsedMs: number;
}

/** Hooks into fit (as Keras' callbacks); `M` is the model type fit hands to setModel. */
export interface Callback<M = unknown> {
  /** Called once when fit begins, with the model being trained. */
  setModel?(model: M): void;
  onEpochBegin?(epoch: number): void | Promise<void>;
  /** Called every few steps (see FitArgs.progressEvery) with figures read back from the GPU. */
  onProgress?(progress: Progress): void;
  onEpochEnd?(epoch: number, logs: Logs): void | Promise<void>;
}

export interface FitArgs<M = unknown> {
  batchSize?: number;
  epochs?: number;
  /** Fraction of the samples, taken from the end as Keras does, held out for validation. */
  validationSplit?: number;
  validationData?: [Float32Array, Labels];
  shuffle?: boolean;
  /** 0: silent; 1: one line per epoch on the console. Default 1. */
  verbose?: 0 | 1;
  /** One callback or several, called in order; e.g. [modelCheckpoint('run.ckpt')] from the io module. */
  callbacks?: Callback<M> | Callback<M>[];
  /** Steps between read-backs of the running loss and accuracy. Default 20. */
  progressEvery?: number;
  /**
   * The epoch to start at (Keras' initial_epoch): epochs initialEpoch..epochs-1 run. To resume
   * from a checkpoint, pass the epoch loadCheckpoint returned. Default 0.
   */
  initialEpoch?: number;
}

export interface History {
  epoch: number[];
  history: { loss: number[]; accuracy: number[]; val_loss: number[]; val_accuracy: number[] };
}

/** What fit needs of a compiled model. */
export interface FitContext {
  state: ModelState;
  runner: Runner;
  /** The model's seed: with the epoch, it gives each epoch's shuffle order. */
  seed: number;
}

/** Sequential.fit: trains `model` (whose stopTraining a callback may set) on (x, y). */
export async function fit<M extends { stopTraining: boolean }>(model: M, context: FitContext, x: Float32Array, y: Labels, args: FitArgs<M>): Promise<History> {
  const { state, runner, seed } = context;
  const batchSize = args.batchSize ?? 32;
  const epochs = args.epochs ?? 1;
  const initialEpoch = args.initialEpoch ?? 0;
  const progressEvery = args.progressEvery ?? 20;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(epochs) || epochs < 0) throw new Error(`epochs must be a non-negative integer, got ${epochs}`);
  if (!Number.isInteger(initialEpoch) || initialEpoch < 0 || initialEpoch > epochs) throw new Error(`initialEpoch must be an integer in 0..epochs (${epochs}), got ${initialEpoch}`);
  const n = checkImages(x, state.inputShape);
  const targets = toTargets(y, n, state.classes);
  const perSample = x.length / n;
  const classes = state.classes;
  const callbacks = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  const history: History = { epoch: [], history: { loss: [], accuracy: [], val_loss: [], val_accuracy: [] } };

  let trainCount = n;
  let validation: { x: Float32Array; targets: Float32Array } | undefined;
  if (args.validationData) {
    const [vx, vy] = args.validationData;
    const vn = checkImages(vx, state.inputShape, 'validationData x');
    validation = { x: vx, targets: toTargets(vy, vn, classes, 'validationData y') };
  } else if (args.validationSplit) {
    const split = args.validationSplit;
    if (!(split > 0 && split < 1)) throw new Error(`validationSplit must be between 0 and 1, got ${split}`);
    trainCount = Math.floor(n * (1 - split));
    if (trainCount === 0 || trainCount === n) throw new Error(`validationSplit ${split} of ${n} samples leaves no training or no validation samples`);
    validation = { x: x.subarray(trainCount * perSample), targets: targets.subarray(trainCount * classes) };
  }

  if (initialEpoch === epochs) return history; // nothing to run (e.g. resumed after the last epoch): compile nothing
  const full = await runner.compiled('train', Math.min(batchSize, trainCount));
  const remainder = trainCount % batchSize;
  const last = remainder && trainCount > batchSize ? await runner.compiled('train', remainder) : full;
  const xBatch = new Float32Array(full.batch * perSample);
  const tBatch = new Float32Array(full.batch * classes);
  model.stopTraining = false;
  for (const callback of callbacks) callback.setModel?.(model);

  for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
    for (const callback of callbacks) await callback.onEpochBegin?.(epoch);
    // Each epoch's order derives from (seed, epoch) alone, so a resumed fit repeats it.
    const order = args.shuffle === false ? Uint32Array.from({ length: trainCount }, (_, i) => i) : shuffledIndices(trainCount, epochShuffleSeed(seed, epoch));
    const started = performance.now();
    runner.clearMetrics();
    const steps = Math.ceil(trainCount / batchSize);
    let latest: Promise<MetricsSnapshot> | undefined;
    for (let s = 0; s < steps; s++) {
      const start = s * batchSize;
      const size = Math.min(batchSize, trainCount - start);
      const compiled = size === full.batch ? full : last;
      for (let j = 0; j < size; j++) {
        const i = order[start + j];
        xBatch.set(x.subarray(i * perSample, (i + 1) * perSample), j * perSample);
        tBatch.set(targets.subarray(i * classes, (i + 1) * classes), j * classes);
      }
      const read = s === steps - 1 || (s + 1) % progressEvery === 0;
      const run = await runner.run(compiled, xBatch.subarray(0, size * perSample), tBatch.subarray(0, size * classes), read);
      if (run) {
        latest = run.metrics;
        for (const callback of callbacks) {
          const onProgress = callback.onProgress?.bind(callback);
          if (!onProgress) continue;
          void run.metrics.then((m) =>
            onProgress({ epoch, epochs, samplesDone: m.samples, samplesTotal: trainCount, loss: m.loss, accuracy: m.accuracy, elapsedMs: performance.now() - started }),
          );
        }
      }
    }
    const totals = await latest!;
    const logs: Logs = { loss: totals.loss, accuracy: totals.accuracy };
    if (validation) {
      const v = await evaluateBatches(context, validation.x, validation.targets, batchSize);
      logs.val_loss = v.loss;
      logs.val_accuracy = v.accuracy;
    }
    history.epoch.push(epoch);
    history.history.loss.push(logs.loss);
    history.history.accuracy.push(logs.accuracy);
    if (validation) {
      history.history.val_loss.push(logs.val_loss!);
      history.history.val_accuracy.push(logs.val_accuracy!);
    }
    if ((args.verbose ?? 1) === 1) {
      const seconds = (performance.now() - started) / 1000;
      const val = validation ? ` - val_loss: ${logs.val_loss!.toFixed(4)} - val_accuracy: ${logs.val_accuracy!.toFixed(4)}` : '';
      console.log(`Epoch ${epoch + 1}/${epochs} - ${seconds.toFixed(1)}s - loss: ${logs.loss.toFixed(4)} - accuracy: ${logs.accuracy.toFixed(4)}${val}`);
    }
    for (const callback of callbacks) await callback.onEpochEnd?.(epoch, logs);
  }
  return history;
}

/** Mean loss and accuracy over (x, targets) in inference mode, batch by batch. */
export async function evaluateBatches(context: Pick<FitContext, 'state' | 'runner'>, x: Float32Array, targets: Float32Array, batchSize: number): Promise<{ loss: number; accuracy: number }> {
  const { state, runner } = context;
  const perSample = elements(state.inputShape);
  const n = x.length / perSample;
  runner.clearMetrics();
  let latest: Promise<MetricsSnapshot> | undefined;
  for (let start = 0; start < n; start += batchSize) {
    const size = Math.min(batchSize, n - start);
    const compiled = await runner.compiled('evaluate', size);
    const read = start + size >= n || (start / batchSize) % 50 === 49;
    const run = await runner.run(compiled, x.subarray(start * perSample, (start + size) * perSample), targets.subarray(start * state.classes, (start + size) * state.classes), read);
    if (run) latest = run.metrics;
  }
  const m = await latest!;
  return { loss: m.loss, accuracy: m.accuracy };
}

/** The shuffle seed of one epoch: a mix of the model's seed and the epoch number. */
function epochShuffleSeed(seed: number, epoch: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0;
}
