/**
 * Saving a model's weights as a safetensors file (Keras names such as `conv2d/kernel`, Keras
 * layouts, float32: what `webgpu-dl train --save` writes) and reading one back, recognising
 * the preset it belongs to from its metadata or else from its tensors' names and shapes.
 */
import { presets, presetNames, type Sequential } from '../src/index.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../src/io/safetensors.js';
import { matchWeights, namedWeights } from '../src/io/model-weights.js';

export async function encodeWeights(model: Sequential, metadata: Record<string, string>): Promise<Uint8Array> {
  return encodeSafetensors(await namedWeights(model), metadata);
}

export interface WeightsFile {
  name: string;
  tensors: NamedTensor[];
  metadata: Record<string, string>;
}

export function decodeWeightsFile(bytes: Uint8Array, name: string): WeightsFile {
  return { name, ...decodeSafetensors(bytes, name) };
}

/** The preset whose weights the file holds: the one its metadata names, else the first its tensors fit. */
export function presetForWeights(file: WeightsFile): string {
  const named = file.metadata.preset;
  const candidates = named && presets[named] ? [named, ...presetNames.filter((n) => n !== named)] : presetNames;
  const reasons: string[] = [];
  for (const preset of candidates) {
    try {
      matchWeights(presets[preset]().model, file.tensors, preset);
      return preset;
    } catch (error) {
      reasons.push((error as Error).message);
    }
  }
  throw new Error(`${file.name}: these weights fit none of the models (${reasons.join('; ')})`);
}

/** The file's tensors in the model's setWeights() order; throws when they do not fit it. */
export function weightsFor(model: Sequential, file: WeightsFile): Float32Array[] {
  return matchWeights(model, file.tensors, file.name);
}
