/**
 * Keras' own files in and out: `loadModel` reads a .keras (Keras 3) or legacy .h5 model,
 * `saveModel` writes a .keras that Keras 3 loads, `loadKerasWeights` puts the weights of a
 * .keras, .h5 or .weights.h5 file into a compiled model. Paths work in Node; bytes work
 * everywhere (in a browser, pass a file's bytes and keep what encodeKerasModel returns).
 */
import type { SavableModel } from '../../nn/savable-model.js';
import type { Sequential } from '../../nn/sequential.js';
import { decodeKerasModel, decodeKerasWeights } from './read.js';
import { encodeKerasModel } from './write.js';
import { readBytes } from '../read-file.js';

export { decodeKerasModel, decodeKerasWeights, encodeKerasModel };

/**
 * A .keras or .h5 model file (a path in Node, or its bytes) as an uncompiled Sequential model.
 * compile() then starts from the file's weights and, given no optimizer, resumes the file's
 * optimizer with its state. `name` labels bytes in error messages.
 */
export async function loadModel(file: string | Uint8Array, name = 'model file'): Promise<Sequential> {
  if (typeof file === 'string') return decodeKerasModel(await readBytes(file), file);
  return decodeKerasModel(file, name);
}

/** Node: writes a compiled model as a .keras file. (In a browser, encodeKerasModel gives the bytes.) */
export async function saveModel(model: SavableModel, path: string): Promise<void> {
  if (!path.endsWith('.keras')) throw new Error(`saveModel: ${path}: name the file *.keras (Keras 3's model format; .h5 is read only)`);
  const bytes = await encodeKerasModel(model);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, bytes);
}

/** Loads the weights of a .keras, .h5 or .weights.h5 file into a compiled model; on error it is unchanged. */
export async function loadKerasWeights(model: SavableModel, file: string | Uint8Array, name = 'weights file'): Promise<void> {
  const source = typeof file === 'string' ? file : name;
  const bytes = typeof file === 'string' ? await readBytes(file) : file;
  model.setWeights(decodeKerasWeights(model, bytes, source));
}
