/**
 * The TF.js layers format, which `tf.loadLayersModel` reads and `model.save` writes:
 *
 *   model.json   {"format": "layers-model", "generatedBy", "convertedBy",
 *                 "modelTopology": <Keras model JSON, Keras 2 layout>,
 *                 "weightsManifest": [{"paths": ["group1-shard1of2.bin", ...],
 *                                      "weights": [{"name": "conv2d/kernel", "shape": [3, 3, 1, 8], "dtype": "float32"}, ...]}]}
 *   *.bin        the weights of each group, in manifest order, little-endian float32, concatenated
 *                and cut into shards of at most 4 MiB (TF.js' converter default); saveWeights
 *                names them after model.json (`trained.json` → `trained.group1-shard1of1.bin`)
 *
 * Read also: weights the converter quantized (`--quantize_float16`, `--quantize_uint8`,
 * `--quantize_uint16`), whose spec adds `"quantization": {"dtype": "float16"}` or
 * `{"dtype": "uint8" | "uint16", "scale", "min"}` (value = q · scale + min), as TF.js decodes them.
 */
import type { SavableModel } from '../nn/savable-model.js';
import type { Sequential } from '../nn/sequential.js';
import { fromKerasJson, kerasModelConfig } from './keras-json.js';
import { namedWeights, setNamedWeights, weightSlots } from './model-weights.js';
import type { NamedTensor } from './safetensors.js';
import { elements } from '../data/shape.js';
import { halfToNumber } from './float16.js';

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  /** The converter's quantization of a float32 weight: float16, or uint8/uint16 with an affine map. */
  quantization?: { dtype: string; scale?: number; min?: number };
}

export interface TfjsModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
}

/** A model in the TF.js format: model.json's content, and the shard files it names. */
export interface TfjsArtifacts {
  modelJson: TfjsModelJson;
  shards: { path: string; data: Uint8Array }[];
}

/** Keras layers the engine has and TF.js (4.22) does not. */
const TFJS_LACKS = ['SpatialDropout2D', 'RandomFlip', 'RandomRotation', 'RandomZoom', 'RandomTranslation', 'RandomContrast', 'RandomBrightness'];

/** Shard files are at most this size, as TF.js' converter writes them. */
export const TFJS_SHARD_BYTES = 4 * 1024 * 1024;

/**
 * The model (architecture and current weights) in the TF.js layers format. Shards are named
 * `<shardPrefix>-shard1of2.bin`, ...; give each model saved in one folder its own prefix.
 */
export async function encodeTfjs(model: SavableModel, { shardBytes = TFJS_SHARD_BYTES, shardPrefix = 'group1' } = {}): Promise<TfjsArtifacts> {
  // Written anyway, tf.loadLayersModel would refuse the file: say so before writing it.
  const missing = model.layers.find((l) => TFJS_LACKS.includes(l.className));
  if (missing) throw new Error(`TF.js has no ${missing.className} layer ('${missing.name}'): tf.loadLayersModel could not read this model; save it as .keras or .safetensors`);
  const penalized = model.layers.find((l) => l.activityRegularizer);
  if (penalized) throw new Error(`TF.js cannot run a layer with an activity regularizer ('${penalized.name}'): tf.loadLayersModel's model would fail when called; save it as .keras or .safetensors`);
  const tensors = renamed(model, await namedWeights(model), 'toTfjs');
  const total = tensors.reduce((sum, t) => sum + t.data.byteLength, 0);
  const all = new Uint8Array(total);
  let at = 0;
  for (const t of tensors) {
    all.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  const count = Math.max(1, Math.ceil(total / shardBytes));
  const shards = Array.from({ length: count }, (_, i) => ({
    path: `${shardPrefix}-shard${i + 1}of${count}.bin`,
    data: all.slice(i * shardBytes, Math.min(total, (i + 1) * shardBytes)),
  }));
  return {
    modelJson: {
      format: 'layers-model',
      generatedBy: 'webgpu-dl',
      convertedBy: null,
      modelTopology: kerasModelConfig(model, 'tfjs'),
      weightsManifest: [{ paths: shards.map((s) => s.path), weights: tensors.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })) }],
    },
    shards,
  };
}

/** Parses model.json (text or object), checking the parts this engine reads. */
export function parseTfjsModelJson(json: string | object, what = 'model.json'): TfjsModelJson {
  let parsed: unknown = json;
  if (typeof json === 'string') {
    try {
      parsed = JSON.parse(json);
    } catch (err) {
      throw new Error(`${what}: not valid JSON (${(err as Error).message})`);
    }
  }
  const m = parsed as Partial<TfjsModelJson> | null;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new Error(`${what}: expected a TF.js model.json object`);
  if (m.format !== undefined && m.format !== 'layers-model') throw new Error(`${what}: format '${m.format}' is not a TF.js layers model ('layers-model')`);
  if (typeof m.modelTopology !== 'object' || m.modelTopology === null) throw new Error(`${what}: modelTopology is missing`);
  if (!Array.isArray(m.weightsManifest)) throw new Error(`${what}: weightsManifest is missing`);
  m.weightsManifest.forEach((group, g) => {
    if (!Array.isArray(group?.paths) || !group.paths.every((p) => typeof p === 'string')) throw new Error(`${what}: weightsManifest[${g}].paths is not a list of file names`);
    if (!Array.isArray(group.weights)) throw new Error(`${what}: weightsManifest[${g}].weights is missing`);
  });
  return m as TfjsModelJson;
}

/** The architecture in model.json, as an uncompiled model. */
export function tfjsModel(modelJson: TfjsModelJson): Sequential {
  return fromKerasJson(modelJson.modelTopology);
}

/**
 * The weights named in model.json's manifest, read from its shard files (`shards` maps each
 * path in the manifest to the file's bytes). Checks dtypes (float32, maybe quantized) and that
 * each group's shards hold exactly the bytes its weights need.
 */
export function decodeTfjsWeights(modelJson: TfjsModelJson, shards: ReadonlyMap<string, Uint8Array>, what = 'model.json'): NamedTensor[] {
  const tensors: NamedTensor[] = [];
  for (const [g, group] of modelJson.weightsManifest.entries()) {
    const parts = group.paths.map((path) => {
      const data = shards.get(path);
      if (!data) throw new Error(`${what}: the weights file ${path} is missing`);
      return data;
    });
    const size = parts.reduce((sum, p) => sum + p.length, 0);
    const bytes = new Uint8Array(size); // the group's shards, concatenated
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    let offset = 0;
    for (const spec of group.weights) {
      const name = spec?.name;
      if (typeof name !== 'string') throw new Error(`${what}: weightsManifest[${g}] has a weight without a name`);
      if (!Array.isArray(spec.shape) || !spec.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`${what}: weight ${name}: shape ${JSON.stringify(spec.shape)} is not a list of sizes`);
      if (spec.dtype !== 'float32') throw new Error(`${what}: weight ${name} has dtype ${JSON.stringify(spec.dtype)}; only float32 weights can be loaded`);
      const bytesPerValue = spec.quantization ? quantizedBytes(spec.quantization, `${what}: weight ${name}`) : 4;
      const byteLength = elements(spec.shape) * bytesPerValue;
      if (offset + byteLength > size) {
        throw new Error(`${what}: truncated weights: ${name} needs bytes ${offset}..${offset + byteLength} of ${group.paths.join(' + ')}, which hold ${size} bytes`);
      }
      const stored = bytes.slice(offset, offset + byteLength);
      tensors.push({ name, shape: spec.shape, data: spec.quantization ? dequantize(stored, spec.quantization) : new Float32Array(stored.buffer) });
      offset += byteLength;
    }
    if (offset !== size) throw new Error(`${what}: ${group.paths.join(' + ')} hold ${size} bytes, the manifest's weights ${offset}`);
  }
  return tensors;
}

/** Bytes per value of a quantization TF.js reads, after checking it has what it needs. */
function quantizedBytes(q: NonNullable<TfjsWeightSpec['quantization']>, where: string): number {
  if (q.dtype === 'float16') return 2;
  if (q.dtype !== 'uint8' && q.dtype !== 'uint16') throw new Error(`${where}: quantization dtype ${JSON.stringify(q.dtype)} is not one TF.js reads (float16, uint8, uint16)`);
  if (!Number.isFinite(q.scale) || !Number.isFinite(q.min)) throw new Error(`${where}: ${q.dtype} quantization needs a finite scale and min, got ${JSON.stringify(q)}`);
  return q.dtype === 'uint8' ? 1 : 2;
}

/** Float32 values of quantized little-endian bytes (a fresh copy, so aligned): q · scale + min for uint8/uint16, exact for float16. */
function dequantize(stored: Uint8Array, q: NonNullable<TfjsWeightSpec['quantization']>): Float32Array {
  if (q.dtype === 'uint8') return Float32Array.from(stored, (v) => v * q.scale! + q.min!);
  const halves = new Uint16Array(stored.buffer);
  return q.dtype === 'float16' ? Float32Array.from(halves, halfToNumber) : Float32Array.from(halves, (v) => v * q.scale! + q.min!);
}

/** Loads TF.js-format weights into a compiled model: checked in full before anything is written. */
export function loadTfjsWeights(model: SavableModel, modelJson: TfjsModelJson, shards: ReadonlyMap<string, Uint8Array>, what = 'model.json'): void {
  setNamedWeights(model, withModelNames(model, decodeTfjsWeights(modelJson, shards, what)), what);
}

/** TF.js-named tensors under the model's (Keras 3) names: `depthwise_conv2d/depthwise_kernel` → `depthwise_conv2d/kernel`. */
export function withModelNames(model: SavableModel, tensors: NamedTensor[]): NamedTensor[] {
  return renamed(model, tensors, 'fromTfjs');
}

/** Tensors renamed between the model's weight names and TF.js' (WeightSpec.tfjsName), either way. */
function renamed(model: SavableModel, tensors: NamedTensor[], direction: 'toTfjs' | 'fromTfjs'): NamedTensor[] {
  const names = new Map<string, string>();
  for (const slot of weightSlots(model)) {
    if (!slot.tfjsName) continue;
    const tfjs = `${slot.name.slice(0, slot.name.lastIndexOf('/') + 1)}${slot.tfjsName}`;
    if (direction === 'toTfjs') names.set(slot.name, tfjs);
    else names.set(tfjs, slot.name);
  }
  return tensors.map((t) => ({ ...t, name: names.get(t.name) ?? t.name }));
}
