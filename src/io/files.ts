/**
 * Node only: weights, TF.js models and checkpoints as files. The format follows the path:
 * `*.safetensors` is a safetensors weights file, `*.json` a TF.js model.json with its .bin
 * shards beside it, `*.keras` and `*.h5` Keras' own files (keras-file/; .h5 is read only). Node modules are imported inside the functions, so this module also
 * bundles for the browser (where the encode/decode functions of the other modules work on bytes).
 */
import type { SavableModel } from '../nn/savable-model.js';
import type { Sequential } from '../nn/sequential.js';
import { encodeCheckpoint, restoreCheckpoint, type CheckpointInfo, type WithinEpoch } from './checkpoint.js';
import { encodeWeightsSafetensors, matchWeights } from './model-weights.js';
import { decodeSafetensors } from './safetensors.js';
import { decodeTfjsWeights, encodeTfjs, parseTfjsModelJson, tfjsModel, withModelNames, type TfjsModelJson } from './tfjs.js';
import { decodeKerasWeights, saveModel } from './keras-file/index.js';
import { readBytes } from './read-file.js';

export type WeightsFormat = 'safetensors' | 'tfjs' | 'keras';

/** The format a weights path names: `.safetensors`, a TF.js `.json` (model.json), or Keras' `.keras` / `.h5`. */
export function weightsFormat(path: string): WeightsFormat {
  if (path.endsWith('.safetensors')) return 'safetensors';
  if (path.endsWith('.json')) return 'tfjs';
  if (path.endsWith('.keras') || path.endsWith('.h5')) return 'keras';
  throw new Error(`${path}: name weights files *.safetensors (safetensors), *.json (a TF.js model.json with .bin shards beside it), *.keras or *.h5 (Keras)`);
}

/** Writes the model's weights (and, for TF.js, its architecture); returns the paths written. */
export async function saveWeights(model: SavableModel, path: string): Promise<string[]> {
  const { writeFile } = await import('node:fs/promises');
  const { basename, dirname, join } = await import('node:path');
  const format = weightsFormat(path);
  await checkWritablePath(path, 'saveWeights');
  if (format === 'safetensors') {
    await writeFile(path, await encodeWeightsSafetensors(model));
    return [path];
  }
  if (format === 'keras') {
    await saveModel(model, path); // refuses .h5: Keras 3's format is .keras
    return [path];
  }
  // Shards named after the JSON file, so that two models saved in one folder keep their own.
  const { modelJson, shards } = await encodeTfjs(model, { shardPrefix: `${basename(path, '.json')}.group1` });
  const written = [];
  for (const shard of shards) {
    const file = join(dirname(path), shard.path);
    await writeFile(file, shard.data);
    written.push(file);
  }
  await writeFile(path, JSON.stringify(modelJson));
  return [path, ...written];
}

/** Loads weights saved by saveWeights (or by TF.js) into a compiled model; on error it is unchanged. */
export async function loadWeights(model: SavableModel, path: string): Promise<void> {
  model.setWeights(await readWeights(model, path));
}

/**
 * The weights in a file, matched to the model's layout and checked, in getWeights' order, not
 * yet written. The model need not be compiled: a file that does not fit it is refused before
 * any GPU work (the CLI reads --load this way before it creates the device).
 */
export async function readWeights(model: SavableModel, path: string): Promise<Float32Array[]> {
  const format = weightsFormat(path);
  if (format === 'safetensors') return matchWeights(model, decodeSafetensors(await readBytes(path), path).tensors, path);
  if (format === 'keras') return decodeKerasWeights(model, await readBytes(path), path);
  const { modelJson, shards } = await readTfjs(path);
  return matchWeights(model, withModelNames(model, decodeTfjsWeights(modelJson, shards, path)), path);
}

/** A TF.js model.json and the shard files its manifest names (read from beside it). */
export async function readTfjs(path: string): Promise<{ modelJson: TfjsModelJson; shards: Map<string, Uint8Array> }> {
  const { dirname, join } = await import('node:path');
  const modelJson = parseTfjsModelJson(new TextDecoder().decode(await readBytes(path)), path);
  const shards = new Map<string, Uint8Array>();
  for (const group of modelJson.weightsManifest) {
    for (const shard of group.paths) shards.set(shard, await readBytes(join(dirname(path), shard)));
  }
  return { modelJson, shards };
}

/** The architecture of a TF.js model.json, as an uncompiled model (load its weights after compile). */
export async function readTfjsModel(path: string): Promise<Sequential> {
  const { modelJson } = await readTfjs(path);
  return tfjsModel(modelJson);
}

/**
 * Throws unless the folder `path` will be written in exists and is writable: run before
 * training, so that a bad --save or checkpoint path fails in a second, not after an epoch.
 */
export async function checkWritablePath(path: string, what: string): Promise<void> {
  const { access, stat, constants } = await import('node:fs/promises');
  const { dirname, resolve } = await import('node:path');
  const folder = dirname(resolve(path));
  const info = await stat(folder).catch(() => undefined);
  if (!info) throw new Error(`${what} ${path}: the folder ${folder} does not exist`);
  if (!info.isDirectory()) throw new Error(`${what} ${path}: ${folder} is not a folder`);
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw new Error(`${what} ${path}: the folder ${folder} is not writable`);
  }
  const target = await stat(path).catch(() => undefined);
  if (target?.isDirectory()) throw new Error(`${what} ${path}: is a folder, not a file name`);
}

/** Writes a checkpoint after `epoch` completed epochs (and `within` batches of the next), atomically. */
export async function saveCheckpoint(model: SavableModel, path: string, epoch: number, within?: WithinEpoch): Promise<void> {
  await writeFileAtomic(path, await encodeCheckpoint(model, epoch, within));
}

/**
 * Replaces `path` with `bytes` through a temporary file beside it, flushed to disk and then
 * renamed over it: a process killed (or a machine stopped) while writing leaves the previous
 * file whole, never a truncated one.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const { open, rename } = await import('node:fs/promises');
  const partial = `${path}.partial`;
  const file = await open(partial, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(partial, path);
}

/**
 * Restores a checkpoint file into a compiled model (same architecture, seed and optimizer
 * kind). Resume with fit(x, y, { epochs, resumeFrom: returned }).
 */
export async function loadCheckpoint(model: SavableModel, path: string): Promise<CheckpointInfo> {
  return restoreCheckpoint(model, await readBytes(path), path);
}
