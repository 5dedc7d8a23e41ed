/**
 * The checkpoint callback of fit (as Keras' ModelCheckpoint): after every epoch and, with
 * `saveFreq: N`, after every N batches within an epoch, it writes a checkpoint
 * (src/io/checkpoint.ts) to a file (Node; atomically) or hands its bytes to `write` (e.g. to
 * store them in a browser).
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
   * resumed run then repeats at most N batches.
   */
  saveFreq?: 'epoch' | number;
}

/** A fit callback that checkpoints the model after each epoch, and every saveFreq batches within one. */
export function modelCheckpoint(target: CheckpointTarget, options: ModelCheckpointOptions = {}): Callback<SavableModel> {
  if (typeof target !== 'string' && typeof target !== 'function') throw new Error(`modelCheckpoint needs a file path or a write(bytes, epoch, batch) function, got ${String(target)}`);
  const saveFreq = options.saveFreq ?? 'epoch';
  if (saveFreq !== 'epoch' && !(Number.isSafeInteger(saveFreq) && saveFreq > 0)) {
    throw new Error(`modelCheckpoint: saveFreq must be 'epoch' or a positive integer (batches), got ${JSON.stringify(saveFreq)}`);
  }
  let model: SavableModel | undefined;
  const write = async (epoch: number, within?: WithinEpoch) => {
    if (!model) throw new Error('modelCheckpoint: fit did not hand over the model');
    if (typeof target === 'string') await saveCheckpoint(model, target, epoch, within);
    else await target(await encodeCheckpoint(model, epoch, within), epoch, within?.batch ?? 0);
  };
  return {
    setModel(m) {
      model = m;
    },
    async onTrainBegin() {
      // A missing or read-only folder fails now, not after an epoch of training.
      if (typeof target === 'string') await checkWritablePath(target, 'modelCheckpoint');
    },
    async onBatchEnd(epoch: number, batch: number, where: BatchEnd) {
      const done = batch + 1;
      // The epoch's last batch is saved by onEpochEnd, after validation.
      if (saveFreq === 'epoch' || done % saveFreq !== 0 || done === where.batches) return;
      try {
        await write(epoch, { batch: done, batchSize: where.batchSize, samples: where.samples, epochSeconds: where.elapsedMs / 1000 });
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
