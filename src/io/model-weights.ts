/**
 * A model's weights as named tensors (Keras' names and layouts: `conv2d/kernel` HWIO,
 * `dense/kernel` [in, out], `batch_normalization/moving_mean`, ...), and loading named
 * tensors into a model with every check done before anything is written.
 */
import type { SavableModel } from '../nn/savable-model.js';
import { firstNonFinite, type WeightSlot } from '../nn/weights.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from './safetensors.js';

/** The model's weight tensors in Keras' order (that of getWeights), with their names and shapes. */
export function weightSlots(model: SavableModel): WeightSlot[] {
  model.build();
  return model.layers.flatMap((layer) => layer.weightSlots);
}

/** The model's current weights, named as Keras names them. */
export async function namedWeights(model: SavableModel): Promise<NamedTensor[]> {
  const slots = weightSlots(model);
  const values = await model.getWeights();
  return slots.map((slot, i) => ({ name: slot.name, shape: slot.shape, data: values[i] }));
}

/**
 * Matches named tensors to the model's weights: every weight present once, no other tensor,
 * shapes equal. Returns the values in the model's order; throws (naming `source`) otherwise.
 */
export function matchWeights(model: SavableModel, tensors: readonly NamedTensor[], source: string): Float32Array[] {
  const slots = weightSlots(model);
  const byName = new Map<string, NamedTensor>();
  for (const t of tensors) {
    if (byName.has(t.name)) throw new Error(`${source}: tensor ${t.name} appears twice`);
    byName.set(t.name, t);
  }
  const missing = slots.filter((s) => !byName.has(s.name)).map((s) => s.name);
  const expected = new Set(slots.map((s) => s.name));
  const unexpected = tensors.filter((t) => !expected.has(t.name)).map((t) => t.name);
  if (missing.length > 0 || unexpected.length > 0) {
    const parts = [];
    if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
    if (unexpected.length > 0) parts.push(`not in the model: ${unexpected.join(', ')}`);
    throw new Error(`${source}: the weight names do not match the model's (${parts.join('; ')})`);
  }
  return slots.map((slot) => {
    const t = byName.get(slot.name)!;
    const same = t.shape.length === slot.shape.length && t.shape.every((d, i) => d === slot.shape[i]);
    if (!same) throw new Error(`${source}: ${slot.name} has shape [${t.shape}], the model needs [${slot.shape}]`);
    if (t.data.length !== slot.elements) throw new Error(`${source}: ${slot.name} has ${t.data.length} values, the model needs ${slot.elements}`);
    const bad = firstNonFinite(t.data);
    if (bad >= 0) throw new Error(`${source}: ${slot.name} holds ${t.data[bad]} at index ${bad}: weights must be finite`);
    return t.data;
  });
}

/** Loads named tensors into a compiled model: all of them after checking all, or none. */
export function setNamedWeights(model: SavableModel, tensors: readonly NamedTensor[], source: string): void {
  model.setWeights(matchWeights(model, tensors, source));
}

/** The model's weights as a safetensors file (F32, Keras names). */
export async function encodeWeightsSafetensors(model: SavableModel): Promise<Uint8Array> {
  return encodeSafetensors(await namedWeights(model), { model: model.name });
}

/** Loads a safetensors file written by encodeWeightsSafetensors (or by Keras tooling with the same names). */
export function loadWeightsSafetensors(model: SavableModel, bytes: Uint8Array, source = 'safetensors'): void {
  setNamedWeights(model, decodeSafetensors(bytes, source).tensors, source);
}
