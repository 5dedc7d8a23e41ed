/**
 * The checkpoint callback of fit (as Keras' ModelCheckpoint): after every epoch it writes a
 * checkpoint (src/io/checkpoint.ts) to a file (Node) or hands its bytes to `write` (e.g. to
 * store them in a browser).
 *
 *   await model.fit(x, y, { epochs: 12, callbacks: [modelCheckpoint('run.ckpt')] });
 */
import type { Callback } from '../nn/fit.js';
import type { SavableModel } from '../nn/savable-model.js';
import { encodeCheckpoint } from './checkpoint.js';
import { checkWritablePath, saveCheckpoint } from './files.js';

export type CheckpointTarget = string | ((bytes: Uint8Array, epoch: number) => void | Promise<void>);

/** A fit callback that checkpoints the model after each epoch (`epoch` in the file: epochs completed). */
export function modelCheckpoint(target: CheckpointTarget): Callback<SavableModel> {
  if (typeof target !== 'string' && typeof target !== 'function') throw new Error(`modelCheckpoint needs a file path or a write(bytes, epoch) function, got ${String(target)}`);
  let model: SavableModel | undefined;
  return {
    setModel(m) {
      model = m;
    },
    async onTrainBegin() {
      // A missing or read-only folder fails now, not after an epoch of training.
      if (typeof target === 'string') await checkWritablePath(target, 'modelCheckpoint');
    },
    async onEpochEnd(epoch) {
      if (!model) throw new Error('modelCheckpoint: fit did not hand over the model');
      if (typeof target === 'string') await saveCheckpoint(model, target, epoch + 1);
      else await target(await encodeCheckpoint(model, epoch + 1), epoch + 1);
    },
  };
}
