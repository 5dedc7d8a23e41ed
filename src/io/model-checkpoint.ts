/**
 * The checkpoint callback of fit (as Keras' ModelCheckpoint): after every epoch and, with
 * `saveFreq: N`, after every N batches within an epoch (or with `saveFreq: { minutes: M }`
 * after the first batch that ends M minutes or more after the last write), it writes a checkpoint
 * (src/io/checkpoint.ts) to a file (Node; atomically) or hands its bytes to `write` (e.g. to
 * store them in a browser). When fit stops on its signal (FitArgs.signal), it writes after the
 * batch fit stops at, whatever saveFreq says.
 *
 *   await model.fit(x, y, { epochs: 12, callbacks: [modelCheckpoint('run.ckpt', { saveFreq: 100 })] });
 */
import type { BatchEnd, Callback } from '../nn/fit.js';
import type { SavableModel } from '../nn/savable-model.js';
import { encodeCheckpoint, NonFiniteCheckpointError, type WithinEpoch } from './checkpoint.js';
import { checkWritablePath, saveCheckpoint } from './files.js';

/** `epoch`: epochs completed; `batch`: batches of the next epoch done (0 at an epoch's end). */
export type CheckpointTarget = string | ((bytes: Uint8Array, epoch: number, batch: number) => void | Promise<void>);

export interface ModelCheckpointOptions {
  /**
   * 'epoch' (default): after every epoch. A number N: also after every N batches of an epoch
   * (batches N, 2N, ... counted from the epoch's start), as Keras' integer save_freq; a
   * resumed run then repeats at most N batches. `{ minutes: M }`: also within an epoch,
   * whenever M minutes have passed since the last write (or fit's start): the same spacing
   * on a slow software adapter and on a fast GPU, where N batches may take a second.
   */
  saveFreq?: SaveFreq;
}

export type SaveFreq = 'epoch' | number | { minutes: number };

/** Throws unless `saveFreq` is 'epoch', a positive integer or { minutes: a positive number }. */
export function checkSaveFreq(saveFreq: unknown, where = 'modelCheckpoint'): SaveFreq {
  if (saveFreq === 'epoch' || (typeof saveFreq === 'number' && Number.isSafeInteger(saveFreq) && saveFreq > 0)) return saveFreq;
  const minutes = (saveFreq as { minutes?: unknown } | null)?.minutes;
  if (typeof saveFreq === 'object' && typeof minutes === 'number' && minutes > 0 && Number.isFinite(minutes)) return { minutes };
  throw new Error(`${where}: saveFreq must be 'epoch', a positive integer (batches) or { minutes: M > 0 }, got ${JSON.stringify(saveFreq)}`);
}

/**
 * Whether a checkpoint is due after 0-based `batch` of an epoch (`where`, as fit's onBatchEnd
 * gives it): always when fit stops there on its signal; else never after the epoch's last batch
 * (its end is saved after validation), and by saveFreq otherwise; `sinceMs` is the time since
 * the last write.
 */
export function checkpointDue(saveFreq: SaveFreq, batch: number, where: Pick<BatchEnd, 'batches' | 'stopping'>, sinceMs: number): boolean {
  if (where.stopping) return true;
  const done = batch + 1;
  if (saveFreq === 'epoch' || done === where.batches) return false;
  if (typeof saveFreq === 'number') return done % saveFreq === 0;
  return sinceMs >= saveFreq.minutes * 60_000;
}

/** A fit callback that checkpoints the model after each epoch, and every saveFreq batches within one. */
export function modelCheckpoint(target: CheckpointTarget, options: ModelCheckpointOptions = {}): Callback<SavableModel> {
  if (typeof target !== 'string' && typeof target !== 'function') throw new Error(`modelCheckpoint needs a file path or a write(bytes, epoch, batch) function, got ${String(target)}`);
  if (typeof options !== 'object' || options === null) throw new Error(`modelCheckpoint: options must be an object such as { saveFreq: 100 }, got ${String(options)}`);
  const unknown = Object.keys(options).filter((key) => key !== 'saveFreq');
  if (unknown.length > 0) throw new Error(`modelCheckpoint: unknown option '${unknown[0]}' (it takes saveFreq)`);
  const saveFreq = checkSaveFreq(options.saveFreq ?? 'epoch');
  let model: SavableModel | undefined;
  let lastWrite = 0;
  const write = async (epoch: number, within?: WithinEpoch) => {
    if (!model) throw new Error('modelCheckpoint: fit did not hand over the model');
    if (typeof target === 'string') await saveCheckpoint(model, target, epoch, within);
    else await target(await encodeCheckpoint(model, epoch, within), epoch, within?.batch ?? 0);
    lastWrite = performance.now();
  };
  return {
    setModel(m) {
      model = m;
    },
    async onTrainBegin() {
      lastWrite = performance.now();
      // A missing or read-only folder fails now, not after an epoch of training.
      if (typeof target === 'string') await checkWritablePath(target, 'modelCheckpoint');
    },
    async onBatchEnd(epoch: number, batch: number, where: BatchEnd) {
      if (!checkpointDue(saveFreq, batch, where, performance.now() - lastWrite)) return;
      try {
        await write(epoch, { batch: batch + 1, batchSize: where.batchSize, samples: where.samples, data: where.data, epochSeconds: where.elapsedMs / 1000 });
      } catch (err) {
        // A diverged loss (NaN weights): keep the last good checkpoint; fit's NaN guard stops training.
        if (!(err instanceof NonFiniteCheckpointError)) throw err;
        console.warn(`modelCheckpoint: ${(err as Error).message}`);
      }
    },
    async onEpochEnd(epoch) {
      await write(epoch + 1);
    },
  };
}
