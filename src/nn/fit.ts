/**
 * The training loop of Sequential.fit and the evaluation loop it shares with evaluate():
 * batches drawn in a per-epoch shuffled order, compiled steps submitted back to back, metrics
 * read back every `progressEvery` steps, callbacks at each epoch's begin and end and after
 * each batch (a checkpoint is one such callback, provided by src/io/model-checkpoint.ts).
 * `resumeFrom` continues a run from a point within an epoch (a checkpoint's): the epoch's
 * order is recomputed from (seed, epoch) and its first batches skipped, the running loss and
 * accuracy sums of those batches are written back, and the step counter (restored with the
 * optimizer state) gives the dropout stream, so the run goes on exactly as if never stopped.
 */
import { dataFingerprint } from '../data/fingerprint.js';
import { shuffledIndices } from '../data/batches.js';
import { elements } from '../data/shape.js';
import { checkImages, toTargets, type Labels } from './inputs.js';
import { RECOVERY_WINDOW_MS, recoveryMessage, restoreSnapshot, secondLossError, takeSnapshot, type Recoverable } from './device-recovery.js';
import { NanGuard, NonFiniteLossSeen } from './nan-guard.js';
import { ReadCadence } from './read-cadence.js';
import type { MetricsSnapshot, Runner } from './runner.js';
import { checkFitOptions, checkResumePoint, type ResumePoint } from './validate.js';

export type { ResumePoint };

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

/** Where fit is when a batch ends (Callback.onBatchEnd). */
export interface BatchEnd {
  /** Batches per epoch, and the batch size and training samples they come from. */
  batches: number;
  batchSize: number;
  samples: number;
  data: string; // the training samples' fingerprint (src/data/fingerprint.ts), for a checkpoint
  /** Milliseconds spent on this epoch so far, those before a resume included. */
  elapsedMs: number;
  /**
   * True when fit stops after this batch because FitArgs.signal was aborted: a checkpoint
   * callback writes now, so that the run can resume here.
   */
  stopping: boolean;
}

/** Hooks into fit (as Keras' callbacks); `M` is the model type fit hands to setModel. */
export interface Callback<M = unknown> {
  /** Called once when fit begins, with the model being trained. */
  setModel?(model: M): void;
  /** Called once before any training work (checks such as a checkpoint folder's belong here). */
  onTrainBegin?(): void | Promise<void>;
  onEpochBegin?(epoch: number): void | Promise<void>;
  /** Called every few steps (see FitArgs.progressEvery) with figures read back from the GPU. */
  onProgress?(progress: Progress): void;
  /**
   * Called after each batch has been submitted (0-based `batch` of the epoch); the GPU may still
   * be working on it, so whatever this reads back waits for it. A mid-epoch checkpoint is written here.
   */
  onBatchEnd?(epoch: number, batch: number, where: BatchEnd): void | Promise<void>;
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
  /**
   * Steps between read-backs of the running loss and accuracy (and onProgress calls). Default:
   * adaptive, a read-back about every 3 s of GPU work (every step where steps are slower, every
   * 20 at most), so that progress stays live and a stop waits for little (read-cadence.ts).
   */
  progressEvery?: number;
  /**
   * The epoch to start at (Keras' initial_epoch): epochs initialEpoch..epochs-1 run. To resume
   * from a checkpoint, pass the epoch loadCheckpoint returned. Default 0.
   */
  initialEpoch?: number;
  /**
   * Resume within an epoch (a mid-epoch checkpoint's CheckpointInfo, from loadCheckpoint):
   * training starts at batch `resumeFrom.batch` of epoch `resumeFrom.epoch`. It sets the initial
   * epoch; initialEpoch, if given too, must agree.
   */
  resumeFrom?: ResumePoint;
  /**
   * Stop at the first loss read back that is NaN or infinite, restore the weights and
   * optimizer state of the last read-back that was finite, and throw a NonFiniteLossError
   * (default true). False keeps Keras' old behaviour: training goes on with NaN.
   */
  terminateOnNaN?: boolean;
  /**
   * Stops training when aborted (e.g. on Ctrl-C): fit submits no batch after the one whose
   * onBatchEnd callbacks see `where.stopping` (modelCheckpoint writes then, its read-back
   * waiting for the steps already on the GPU), then rejects with the signal's reason. Noticed
   * on an epoch's last batch, it stops after that epoch's end instead (validation and its
   * checkpoint included); in the last epoch it finishes. The model keeps what it learnt. The
   * signal is seen when the loop waits (for a read-back slot, a callback's I/O), so up to two
   * read-backs' worth of steps (2 × progressEvery; about 6 s of GPU work, or 2 steps, by
   * default) may be submitted after it.
   */
  signal?: AbortSignal;
}

/** fit stopped because the loss stopped being finite; the model holds the weights from before. */
export class NonFiniteLossError extends Error {
  constructor(
    message: string,
    /** 0-based epoch and step (the last of the steps read back) where the loss was first seen non-finite. */
    readonly epoch: number,
    readonly step: number,
    /** The epochs completed before it. */
    readonly history: History,
  ) {
    super(message);
    this.name = 'NonFiniteLossError';
  }
}

export interface History {
  epoch: number[];
  history: { loss: number[]; accuracy: number[]; val_loss: number[]; val_accuracy: number[] };
}

/** What fit needs of a compiled model. */
export interface FitContext extends Recoverable {
  /** The model's seed: with the epoch, it gives each epoch's shuffle order. */
  seed: number;
  /**
   * After a device loss: the model rebuilt on a new device created with the same options,
   * its weights to be filled from fit's snapshot. Without it, a loss ends fit.
   */
  rebuild?(): Promise<FitContext>;
}

/** Sequential.fit: trains `model` (whose stopTraining a callback may set) on (x, y). */
export async function fit<M extends { stopTraining: boolean }>(model: M, context: FitContext, x: Float32Array, y: Labels, args: FitArgs<M>): Promise<History> {
  const { state, seed } = context;
  const { batchSize, epochs, initialEpoch, progressEvery, terminateOnNaN, resumeFrom } = checkFitOptions(args as Record<string, unknown>);
  const n = checkImages(x, state.inputShape);
  const targets = toTargets(y, n, state.classes, 'y', state.loss.spec.labelSmoothing);
  const perSample = x.length / n;
  const classes = state.classes;
  const callbacks = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  const history: History = { epoch: [], history: { loss: [], accuracy: [], val_loss: [], val_accuracy: [] } };

  let trainCount = n;
  let validation: { x: Float32Array; targets: Float32Array } | undefined;
  if (args.validationData) {
    const [vx, vy] = args.validationData;
    const vn = checkImages(vx, state.inputShape, 'validationData x');
    validation = { x: vx, targets: toTargets(vy, vn, classes, 'validationData y', state.loss.spec.labelSmoothing) };
  } else if (args.validationSplit) {
    const split = args.validationSplit;
    trainCount = Math.floor(n * (1 - split));
    if (trainCount === 0 || trainCount === n) throw new Error(`validationSplit ${split} of ${n} samples leaves no training or no validation samples`);
    validation = { x: x.subarray(trainCount * perSample), targets: targets.subarray(trainCount * classes) };
  }

  const steps = Math.ceil(trainCount / batchSize);
  const data = dataFingerprint(x.subarray(0, trainCount * perSample), targets.subarray(0, trainCount * classes));
  const resumeBatch = checkResumePoint(resumeFrom, steps, batchSize, trainCount, data);
  for (const callback of callbacks) await callback.onTrainBegin?.();
  if (initialEpoch === epochs) return history; // nothing to run (e.g. resumed after the last epoch): compile nothing
  let ctx = context;
  const trainSteps = async (runner: Runner) => {
    const full = await runner.compiled('train', Math.min(batchSize, trainCount));
    const remainder = trainCount % batchSize;
    return { full, last: remainder && trainCount > batchSize ? await runner.compiled('train', remainder) : full };
  };
  let compiled = await trainSteps(ctx.runner);
  const xBatch = new Float32Array(compiled.full.batch * perSample);
  const tBatch = new Float32Array(compiled.full.batch * classes);
  model.stopTraining = false;
  for (const callback of callbacks) callback.setModel?.(model);
  const newGuard = () => (terminateOnNaN ? new NanGuard(ctx.state.device, ctx.state.weights, ctx.optimizerState) : undefined);
  const fixedCadence = progressEvery === undefined ? undefined : new ReadCadence(progressEvery);
  const cadenceOf = (runner: Runner) => fixedCadence ?? runner.cadence;
  let guard = newGuard();
  let guardStarted = false;
  let reads = 0; // read-backs so far in this fit: the guard's backup slots go by it
  let recovered: { at: number; epoch: number } | undefined;
  // The training state at the start of the current epoch, on the CPU (device-recovery.ts).
  let snapshot = ctx.rebuild ? await takeSnapshot(ctx) : undefined;

  try {
    for (let epoch = initialEpoch; epoch < epochs && !model.stopTraining; epoch++) {
      args.signal?.throwIfAborted();
      for (const callback of callbacks) await callback.onEpochBegin?.(epoch);
      // Each epoch's order derives from (seed, epoch) alone, so a resumed fit repeats it.
      const order = args.shuffle === false ? Uint32Array.from({ length: trainCount }, (_, i) => i) : shuffledIndices(trainCount, epochShuffleSeed(seed, epoch));
      // Resumed within this epoch: its first batches are done, their metric sums and time carried over.
      const skipped = epoch === resumeFrom?.epoch ? resumeBatch : 0;
      const started = performance.now() - (skipped ? (resumeFrom!.epochSeconds ?? 0) * 1000 : 0);
      const logs: Logs = { loss: NaN, accuracy: NaN };
      try {
        const { runner } = ctx;
        if (skipped) runner.writeMetrics(resumeFrom!.metrics!);
        else runner.clearMetrics();
        let latest: Promise<MetricsSnapshot> | undefined;
        const cadence = cadenceOf(runner);
        cadence.restart();
        let sinceRead = 0;
        for (let s = skipped; s < steps; s++) {
          const start = s * batchSize;
          const size = Math.min(batchSize, trainCount - start);
          for (let j = 0; j < size; j++) {
            const i = order[start + j];
            xBatch.set(x.subarray(i * perSample, (i + 1) * perSample), j * perSample);
            tBatch.set(targets.subarray(i * classes, (i + 1) * classes), j * classes);
          }
          sinceRead++;
          const read = s === steps - 1 || cadence.due(s, sinceRead);
          if (read) sinceRead = 0;
          const point = { epoch, step: s, optimizerSteps: runner.optimizerSteps };
          // A new guard's first step also backs up the weights it starts from (read-back −1).
          const first = !guardStarted;
          guardStarted = true;
          const before = guard && (read || first) ? (e: GPUCommandEncoder) => {
            if (first) guard!.record(e, -1, point);
            if (read) guard!.record(e, reads, point);
          } : undefined;
          const run = await runner.run(size === compiled.full.batch ? compiled.full : compiled.last, xBatch.subarray(0, size * perSample), tBatch.subarray(0, size * classes), read, { before });
          // Asked to stop: after this batch, unless it ends the epoch (whose end is saved after validation).
          const stopping = Boolean(args.signal?.aborted) && s < steps - 1;
          const where = { batches: steps, batchSize, samples: trainCount, data, elapsedMs: performance.now() - started, stopping };
          for (const callback of callbacks) await callback.onBatchEnd?.(epoch, s, where);
          if (stopping) args.signal!.throwIfAborted();
          if (!run) continue;
          latest = run.metrics;
          const stepsDone = runner.optimizerSteps;
          void run.metrics.then(() => cadence.readDone(stepsDone), () => undefined);
          guard?.observe(reads++, run.metrics, epoch, s);
          for (const callback of callbacks) {
            const onProgress = callback.onProgress?.bind(callback);
            if (!onProgress) continue;
            void run.metrics.then(
              (m) => onProgress({ epoch, epochs, samplesDone: m.samples, samplesTotal: trainCount, loss: m.loss, accuracy: m.accuracy, elapsedMs: performance.now() - started }),
              () => undefined, // a failed read-back is reported by the loop
            );
          }
        }
        const totals = await latest!;
        if (guard?.firstBad) throw new NonFiniteLossSeen();
        [logs.loss, logs.accuracy] = [totals.loss, totals.accuracy];
        if (validation) {
          const v = await evaluateBatches(ctx, validation.x, validation.targets, batchSize);
          logs.val_loss = v.loss;
          logs.val_accuracy = v.accuracy;
        }
        // The next epoch's starting point; taken here, a loss noticed only now repeats this epoch.
        if (snapshot) snapshot = await takeSnapshot(ctx);
      } catch (err) {
        if (args.signal?.aborted && err === args.signal.reason) throw err;
        if (err instanceof NonFiniteLossSeen) throw stopAtNonFinite(guard!, ctx, steps, cadenceOf(ctx.runner).every, history);
        const loss = await ctx.state.device.lossAfterFailure();
        if (!loss || !snapshot || !ctx.rebuild) throw err;
        const now = performance.now();
        if (recovered && (recovered.epoch === epoch || now - recovered.at < RECOVERY_WINDOW_MS)) throw secondLossError(loss, epoch, now - recovered.at);
        guard?.destroy();
        ctx = await ctx.rebuild();
        restoreSnapshot(ctx, snapshot);
        compiled = await trainSteps(ctx.runner);
        guard = newGuard();
        guardStarted = false;
        reads = 0;
        recovered = { at: performance.now(), epoch };
        console.warn(recoveryMessage(loss, epoch, ctx.state.device, skipped));
        epoch--; // repeat it
        continue;
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
  } finally {
    guard?.destroy();
  }
  return history;
}

/** Restores the last finite backup and says where the loss went wrong. */
function stopAtNonFinite(guard: NanGuard, ctx: FitContext, steps: number, readEvery: number, history: History): NonFiniteLossError {
  const bad = guard.firstBad!;
  const restored = guard.restore();
  ctx.runner.optimizerSteps = restored.optimizerSteps;
  const previous = guard.previousFinite(bad.read);
  const from = previous && previous.epoch === bad.epoch ? previous.step + 2 : 1;
  const where = from === bad.step + 1 ? `at step ${from}` : `between steps ${from} and ${bad.step + 1}`;
  return new NonFiniteLossError(
    `fit: the loss became ${bad.loss} in epoch ${bad.epoch + 1} ${where} of ${steps} (read back every ${readEvery} steps). ` +
      `Training stopped; the weights and optimizer state are restored to those before step ${restored.step + 1} of epoch ${restored.epoch + 1}, the last that gave a finite loss. ` +
      'Try a lower learning rate (or terminateOnNaN: false to train on regardless).',
    bad.epoch,
    bad.step,
    history,
  );
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
