/**
 * Reading Keras' own model files, from bytes (Node and browser alike):
 *
 *   .keras       Keras 3's zip: config.json (the model JSON, with compile_config holding the
 *                optimizer), metadata.json, model.weights.h5 (weights-layout.ts)
 *   .h5          legacy HDF5 of tf.keras 2 and Keras 3 `model.save('x.h5')`: root attributes
 *                model_config (the model JSON) and training_config (optimizer_config), groups
 *                model_weights and optimizer_weights
 *   .weights.h5  weights only (Keras 3 layout, or tf.keras 2's legacy one): into a model the
 *                caller built, through decodeKerasWeights
 *
 * The architecture goes through fromKerasJson with its strict rules. Weights are float32
 * (float16 and float64 are converted). The optimizer is restored, config and state, from Keras 3
 * files whose optimizer the engine has (SGD, Adam, Adadelta, RMSprop, Adagrad without EMA,
 * clipping, weight decay or AMSGrad); tf.keras 2's optimizer weights are not read.
 */
import { unzipSync } from 'fflate';
import type { Sequential } from '../../nn/sequential.js';
import type { SavableModel } from '../../nn/savable-model.js';
import type { SavedOptimizer } from '../../nn/initial-state.js';
import { optimizerStateSlots } from '../../nn/optimizers.js';
import { fromKerasJson } from '../keras-json.js';
import { weightSlots } from '../model-weights.js';
import { isHdf5, openHdf5, type H5Group, type H5Tensor } from './hdf5-read.js';
import { kerasLeadingScalars, kerasStateVariables, kerasTrailingScalars, optimizerFromKeras } from './optimizer.js';
import { readKeras3Weights, readLegacyWeights } from './weights-layout.js';
import { typeName } from '../../data/type-name.js';
import { checkLossSpec, type LossSpec } from '../../nn/loss.js';

export const WEIGHTS_ENTRY = 'model.weights.h5';

/**
 * Reads a .keras or legacy .h5 model file (`source` names it in errors) as an uncompiled model
 * whose compile() starts from the file's weights and, when compile gets no optimizer, resumes
 * the file's optimizer.
 */
export function decodeKerasModel(bytes: Uint8Array, source = 'Keras file'): Sequential {
  checkBytes(bytes, 'decodeKerasModel(bytes, source)');
  if (isZip(bytes)) {
    const entries = unzip(bytes, source);
    const config = parseJson(entryText(entries, 'config.json', source), `${source}: config.json`);
    const model = architecture(config, `${source}: config.json`);
    const root = openHdf5(entry(entries, WEIGHTS_ENTRY, source), `${source}: ${WEIGHTS_ENTRY}`);
    const weights = readKeras3Weights(root, model);
    const optimizerConfig = (config as { compile_config?: { optimizer?: unknown } }).compile_config?.optimizer;
    const saved = optimizerConfig ? keras3Optimizer(optimizerConfig, root.has('optimizer') ? root.group('optimizer/vars') : undefined, model) : {};
    const loss = lossFromKeras((config as { compile_config?: { loss?: unknown } }).compile_config?.loss);
    model.initialState = { weights, optimizer: saved.optimizer, optimizerNote: saved.note, ...(loss ? { loss } : {}) };
    return model;
  }
  if (isHdf5(bytes)) {
    const root = openHdf5(bytes, source);
    const modelConfig = root.stringAttr('model_config');
    if (modelConfig === undefined) {
      throw new Error(`${source}: holds weights only (no model_config attribute): build or read the model's architecture, compile it, then load these weights with loadWeights`);
    }
    const model = architecture(parseJson(modelConfig, `${source}: model_config`), `${source}: model_config`);
    const weights = readLegacyWeights(root.group('model_weights'), model);
    const saved = legacyOptimizer(root, model);
    model.initialState = { weights, optimizer: saved.optimizer, optimizerNote: saved.note };
    return model;
  }
  throw new Error(`${source}: neither a .keras file (a zip archive) nor an HDF5 .h5 file`);
}

/**
 * The weights of a .keras, .h5 or .weights.h5 file for `model` (built from the same
 * architecture), in getWeights() order; every name and shape checked.
 */
export function decodeKerasWeights(model: SavableModel, bytes: Uint8Array, source = 'Keras file'): Float32Array[] {
  checkBytes(bytes, 'decodeKerasWeights(model, bytes, source)');
  if (isZip(bytes)) return readKeras3Weights(openHdf5(entry(unzip(bytes, source), WEIGHTS_ENTRY, source), `${source}: ${WEIGHTS_ENTRY}`), model);
  const root = openHdf5(bytes, source);
  if (root.has('layers')) return readKeras3Weights(root, model);
  if (root.has('model_weights')) return readLegacyWeights(root.group('model_weights'), model);
  if (root.stringsAttr('layer_names')) return readLegacyWeights(root, model);
  throw new Error(`${source}: no Keras weights in this HDF5 file (no /layers, /model_weights or layer_names attribute)`);
}

function checkBytes(bytes: unknown, call: string): void {
  if (!(bytes instanceof Uint8Array)) throw new Error(`${call}: bytes must be the file's contents as a Uint8Array, got ${typeName(bytes)}`);
}

function architecture(config: unknown, where: string): Sequential {
  try {
    return fromKerasJson(config as object);
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`);
  }
}

/** Keras 3 .keras: optimizer/vars/<i>; none when the optimizer never took a step (Keras builds it on the first). */
function keras3Optimizer(entry: unknown, vars: H5Group | undefined, model: SavableModel): { optimizer?: SavedOptimizer; note?: string } {
  const count = vars ? vars.keys().length : 0;
  const variables = Array.from({ length: count }, (_, i) => ({ where: `${vars!.path}/${i}`, tensor: () => vars!.tensor(String(i)), count: () => vars!.integer(String(i)) }));
  return savedOptimizer(entry, variables, model, vars?.source ?? WEIGHTS_ENTRY);
}

/** Legacy .h5 of Keras 3: optimizer_weights with weight_names; tf.keras 2's are not read. */
function legacyOptimizer(root: H5Group, model: SavableModel): { optimizer?: SavedOptimizer; note?: string } {
  const training = root.stringAttr('training_config');
  if (training === undefined || !root.has('optimizer_weights')) return {};
  const version = root.stringAttr('keras_version') ?? 'unknown';
  if (!version.startsWith('3.')) return { note: `the optimizer state of Keras ${version} files is not read` };
  const group = root.group('optimizer_weights');
  const names = group.stringsAttr('weight_names') ?? [];
  const variables = names.map((name) => ({ where: `${group.path}/${name}`, tensor: () => group.tensor(name), count: () => group.integer(name) }));
  const config = (parseJson(training, `${root.source}: training_config`) as { optimizer_config?: unknown }).optimizer_config;
  return savedOptimizer(config, variables, model, root.source);
}

interface SavedVariable {
  where: string;
  tensor(): H5Tensor;
  count(): number;
}

/** Keras 3's optimizer variables: iterations, learning_rate, then the state (optimizer.ts). */
function savedOptimizer(entry: unknown, variables: SavedVariable[], model: SavableModel, source: string): { optimizer?: SavedOptimizer; note?: string } {
  const parsed = optimizerFromKeras(entry);
  if ('unsupported' in parsed) return { note: parsed.unsupported };
  const config = parsed.config;
  const trainable = weightSlots(model).filter((s) => s.trainable);
  const mapping = kerasStateVariables(config, trainable.length);
  if (variables.length === 0) return { optimizer: { config, iterations: 0 } }; // never stepped: a fresh state
  // Iterations and the learning rate (none under a schedule), then the state.
  const lead = kerasLeadingScalars(config);
  // Compiled but never trained (Keras 3 builds iterations and the learning rate at compile, the
  // state at the first step): a fresh state, at the saved learning rate.
  const unbuilt = variables.length === lead && mapping.length > 0;
  // Nadam's u_product follows the state; the kernel derives it from the step count.
  const trailing = kerasTrailingScalars(config, 0).length;
  const needed = lead + mapping.length + trailing;
  if (variables.length !== needed && !unbuilt) {
    const scalars = trailing ? ` and ${trailing} more scalar` : '';
    const leading = lead === 2 ? 'iterations, learning rate' : 'iterations (the learning rate is a schedule)';
    throw new Error(`${source}: the ${config.kind} optimizer has ${variables.length} variables; for this model it needs ${needed} (${leading}, ${mapping.length} state tensors${scalars})`);
  }
  const iterations = variables[0].count();
  let rated = config;
  if (lead === 2) {
    const rate = variables[1].tensor();
    if (rate.data.length !== 1) throw new Error(`${source}: ${variables[1].where} should be the learning rate (one number), it has shape [${rate.shape}]`);
    rated = { ...config, learningRate: rate.data[0] };
  }
  if (unbuilt) return { optimizer: { config: rated, iterations } };
  const slots: Float32Array[][] = Array.from({ length: optimizerStateSlots(config) }, () => []);
  mapping.forEach(({ slot, weight }, i) => {
    const variable = variables[lead + i];
    const tensor = variable.tensor();
    const target = trainable[weight];
    const same = tensor.shape.length === target.shape.length && tensor.shape.every((d, k) => d === target.shape[k]);
    if (!same) throw new Error(`${source}: ${variable.where} (${config.kind} state of ${target.name}) has shape [${tensor.shape}]; the weight has [${target.shape}]`);
    slots[slot][weight] = tensor.data;
  });
  return { optimizer: { config: rated, iterations, slots } };
}

function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && bytes[2] === 0x03 && bytes[3] === 0x04;
}

function unzip(bytes: Uint8Array, source: string): Record<string, Uint8Array> {
  try {
    return unzipSync(bytes);
  } catch (err) {
    throw new Error(`${source}: not a valid zip archive (${(err as Error).message}): a .keras file is a zip`);
  }
}

function entry(entries: Record<string, Uint8Array>, name: string, source: string): Uint8Array {
  const bytes = entries[name];
  if (!bytes) throw new Error(`${source}: the zip holds no ${name} (it holds ${Object.keys(entries).join(', ') || 'nothing'}): not a Keras 3 .keras file`);
  return bytes;
}

function entryText(entries: Record<string, Uint8Array>, name: string, source: string): string {
  return new TextDecoder().decode(entry(entries, name, source));
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * A .keras file's compile_config loss, where it is one of the engine's: a name
 * ('sparse_categorical_crossentropy') or a serialized loss object (class_name, from_logits,
 * label_smoothing). Any other loss gives undefined: compile then takes its own default or argument.
 */
function lossFromKeras(loss: unknown): LossSpec | undefined {
  const object = typeof loss === 'object' && loss !== null ? (loss as { class_name?: unknown; config?: { from_logits?: unknown; label_smoothing?: unknown } }) : undefined;
  // The class name in camel case (SparseCategoricalCrossentropy → sparseCategoricalCrossentropy) is the engine's name.
  const name = typeof loss === 'string' ? loss : typeof object?.class_name === 'string' ? object.class_name.charAt(0).toLowerCase() + object.class_name.slice(1) : undefined;
  if (name === undefined) return undefined;
  try {
    return checkLossSpec({ name, fromLogits: object?.config?.from_logits === true, labelSmoothing: object?.config?.label_smoothing ?? 0 });
  } catch {
    return undefined; // a loss the engine does not have
  }
}
