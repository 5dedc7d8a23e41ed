/**
 * Keras' model JSON (`model.to_json()`, `keras.models.model_from_json`) for Sequential models,
 * read in both layouts Keras writes and written in either:
 *
 *   Keras 3:  {"module": "keras", "class_name": "Sequential", "config": {"name", "trainable",
 *              "dtype": {DTypePolicy}, "layers": [{"module": "keras.layers", "class_name":
 *              "InputLayer", "config": {"batch_shape": [null, 28, 28, 1], ...}}, {"module":
 *              "keras.layers", "class_name": "Conv2D", "config": {...}, "registered_name": null,
 *              "build_config": {"input_shape": [null, 28, 28, 1]}}, ...], "build_input_shape"},
 *              "registered_name": null, "build_config": {"input_shape": [...]}}
 *   Keras 2:  {"class_name": "Sequential", "config": {"name", "layers": [{"class_name":
 *   (tf.keras) "InputLayer", "config": {"batch_input_shape": [null, 28, 28, 1], ...}},
 *              {"class_name": "Conv2D", "config": {"batch_input_shape": [...], "dtype":
 *              "float32", ...}}, ...]}, "keras_version": "2.4.0", "backend": "tensorflow"}
 *
 * Also read: the `model_config` wrapper of TF.js' converter, a whole TF.js `model.json`
 * (its `modelTopology`), and Keras ≤ 2.2's `config` that is the layer list itself.
 *
 * Reading is strict: an argument the engine does not implement (channels_first, dilation,
 * groups, regularizers, constraints, frozen layers, other dtypes, initializers or
 * activations) is an error that names the layer and the argument. Arguments the engine has
 * no use for and whose value is null or false (off) are accepted, so that the newer fields
 * of later Keras versions (`optional`, `synchronized`, `lora_rank`, ...) do not break
 * reading. The only values read and then ignored are initializer and dropout seeds: the
 * engine draws from the seed given to compile().
 */
import { Sequential } from '../nn/sequential.js';
import type { Initializer } from '../nn/initializers.js';
import { Activation, AveragePooling2D, BatchNormalization, Conv2D, Dense, Dropout, Flatten, Layer, MaxPooling2D } from '../nn/layers/index.js';
import { ACTIVATIONS, type ActivationName } from '../nn/layers/activation.js';

/** Which Keras writes the JSON: `keras3` (the default) or `keras2` (tf.keras 2.x). */
export type KerasLayout = 'keras3' | 'keras2';

export interface KerasJsonOptions {
  layout?: KerasLayout;
  /** Passed to JSON.stringify; Keras' to_json() writes one line (no indent) by default. */
  indent?: number;
}

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------

/**
 * Builds a Sequential model from Keras' model JSON (a string or the parsed object). The
 * model is built (shapes inferred and checked) but not compiled.
 */
export function fromKerasJson(json: string | object): Sequential {
  let root: unknown = json;
  if (typeof json === 'string') {
    try {
      root = JSON.parse(json);
    } catch (err) {
      throw new Error(`Keras model JSON: not valid JSON (${(err as Error).message})`);
    }
  }
  if (!isObject(root)) throw new Error(`Keras model JSON: expected an object with class_name and config, got ${describe(root)}`);
  // A TF.js model.json holds the Keras JSON in modelTopology; TF.js' converter wraps it in model_config.
  if (isObject(root.modelTopology)) root = root.modelTopology;
  if (isObject((root as Json).model_config)) root = (root as Json).model_config;
  const model = root as Json;

  const className = model.class_name;
  if (className !== 'Sequential') {
    throw new Error(`Keras model JSON: only Sequential models are supported, got class_name ${JSON.stringify(className)}`);
  }
  checkModule('Sequential model', model.module, model.registered_name, 'Sequential');
  // Keras ≤ 2.2 wrote the layer list as the config itself.
  const config: Json = Array.isArray(model.config) ? { layers: model.config } : (model.config as Json);
  if (!isObject(config) || !Array.isArray(config.layers)) throw new Error('Keras model JSON: config.layers (the list of layers) is missing');
  if (config.trainable === false) throw new Error('Keras model JSON: a frozen model (trainable: false) is not supported');
  if (config.dtype !== undefined) checkDtype('Sequential model', config.dtype);

  const declared: { layer: Layer; shape: number[]; where: string }[] = [];
  let inputShape: number[] | undefined;
  const declareInput = (shape: number[], where: string) => {
    if (inputShape && !sameShape(inputShape, shape)) {
      throw new Error(`Keras model JSON: inconsistent input shapes: ${where} says [${shape}], an earlier entry says [${inputShape}]`);
    }
    inputShape = shape;
  };
  if (config.build_input_shape != null) declareInput(sampleShape(config.build_input_shape, 'Sequential build_input_shape'), 'build_input_shape');
  const buildShape = isObject(model.build_config) ? model.build_config.input_shape : undefined;
  if (buildShape != null) declareInput(sampleShape(buildShape, 'Sequential build_config.input_shape'), 'build_config.input_shape');

  const layers: Layer[] = [];
  const bnAxes: { layer: Layer; axis: number }[] = [];
  config.layers.forEach((entry: unknown, index: number) => {
    if (!isObject(entry)) throw new Error(`Keras model JSON: layer ${index} is not an object`);
    const kind = entry.class_name;
    if (typeof kind !== 'string') throw new Error(`Keras model JSON: layer ${index} has no class_name`);
    const layerConfig = entry.config ?? {};
    if (!isObject(layerConfig)) throw new Error(`Keras model JSON: layer ${index} (${kind}): config is not an object`);
    const name = typeof layerConfig.name === 'string' ? layerConfig.name : undefined;
    const where = `${kind} layer${name ? ` '${name}'` : ` ${index}`}`;
    checkModule(where, entry.module, entry.registered_name, kind);

    if (kind === 'InputLayer') {
      if (layers.length > 0) throw new Error(`Keras model JSON: ${where} must come first`);
      const reader = new ConfigReader(where, layerConfig);
      reader.take('name');
      const batchShape = reader.take('batch_shape');
      const shape = batchShape ?? reader.take('batch_input_shape');
      if (shape == null) throw new Error(`${where}: batch_shape (or batch_input_shape) is missing`);
      declareInput(sampleShape(shape, `${where}: batch_shape`), where);
      checkDtype(where, reader.take('dtype'));
      reader.finish();
      return;
    }

    const reader = new ConfigReader(where, layerConfig);
    reader.take('name');
    if (reader.take('trainable') === false) throw new Error(`${where}: trainable: false (a frozen layer) is not supported`);
    checkDtype(where, reader.take('dtype'));
    const batchShape = reader.take('batch_shape');
    const batchInputShape = reader.take('batch_input_shape') ?? batchShape;
    const bareInputShape = reader.take('input_shape');
    let layerInput: number[] | undefined;
    if (batchInputShape != null) layerInput = sampleShape(batchInputShape, `${where}: batch_input_shape`);
    else if (bareInputShape != null) layerInput = positiveDims(bareInputShape, `${where}: input_shape`);
    if (layers.length === 0 && layerInput) declareInput(layerInput, `${where}: batch_input_shape`);

    const args = { name, inputShape: layers.length === 0 ? (layerInput ?? inputShape) : undefined };
    if (layers.length === 0 && !args.inputShape) {
      throw new Error(`Keras model JSON: the input shape is missing: give an InputLayer with batch_shape, or batch_input_shape on ${where}`);
    }
    const layer = withLayerName(where, kind, () => readLayer(kind, reader, args, bnAxes));
    reader.finish();
    layers.push(layer);
    if (layerInput && layers.length > 1) declared.push({ layer, shape: layerInput, where: `${where}: batch_input_shape` });
    const built = isObject(entry.build_config) ? entry.build_config.input_shape : undefined;
    if (built != null) declared.push({ layer, shape: sampleShape(built, `${where}: build_config.input_shape`), where: `${where}: build_config.input_shape` });
  });
  if (layers.length === 0) throw new Error('Keras model JSON: the model has no layers');
  // Weights are named after their layer, so names must be unique.
  const seen = new Set<string>();
  for (const layer of layers) {
    if (layer.name && seen.has(layer.name)) throw new Error(`Keras model JSON: two layers are named '${layer.name}'`);
    seen.add(layer.name);
  }
  // The engine fuses softmax with the loss (or the prediction) at the output only.
  for (const layer of layers.slice(0, -1)) {
    if ((layer as { activation?: string }).activation === 'softmax') {
      throw new Error(`${layer.className} layer '${layer.name}': unsupported argument activation: "softmax" (only the last layer may have it)`);
    }
  }
  if (inputShape && !sameShape(layers[0].inputShape!, inputShape)) {
    throw new Error(`Keras model JSON: inconsistent input shapes: the first layer has [${layers[0].inputShape}], the model [${inputShape}]`);
  }

  const sequential = new Sequential(layers);
  if (typeof config.name === 'string') sequential.name = config.name;
  sequential.build();
  // Shapes the file states for a layer's input must be the ones the engine inferred.
  for (const { layer, shape, where } of declared) {
    const actual = layerInputShape(sequential, layer);
    if (!sameShape(actual, shape)) throw new Error(`${where} is [${shape}], but the previous layer outputs [${actual}]: inconsistent shapes`);
  }
  for (const { layer, axis } of bnAxes) {
    const rank = layerInputShape(sequential, layer).length + 1; // with the batch dimension
    if (axis !== -1 && axis !== rank - 1) {
      throw new Error(`BatchNormalization layer '${layer.name}': axis ${axis} is not supported: only the last axis (-1 or ${rank - 1}) is`);
    }
  }
  return sequential;
}

function readLayer(kind: string, c: ConfigReader, args: { name?: string; inputShape?: number[] }, bnAxes: { layer: Layer; axis: number }[]): Layer {
  switch (kind) {
    case 'Conv2D': {
      channelsLast(c);
      const dilation = c.take('dilation_rate');
      if (dilation != null && !pairOf(dilation, `${c.where}: dilation_rate`).every((d) => d === 1)) c.unsupported('dilation_rate', dilation);
      const groups = c.take('groups');
      if (groups != null && groups !== 1) c.unsupported('groups', groups);
      noExtras(c, ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint']);
      return new Conv2D({
        ...args,
        filters: c.take('filters') as number,
        kernelSize: pairOf(c.take('kernel_size'), `${c.where}: kernel_size`),
        strides: pairOf(c.take('strides') ?? 1, `${c.where}: strides`),
        padding: padding(c),
        activation: activation(c),
        useBias: bool(c, 'use_bias', true),
        kernelInitializer: initializer(c, 'kernel_initializer', 'glorotUniform'),
        biasInitializer: initializer(c, 'bias_initializer', 'zeros'),
      });
    }
    case 'Dense': {
      noExtras(c, ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint']);
      return new Dense({
        ...args,
        units: c.take('units') as number,
        activation: activation(c),
        useBias: bool(c, 'use_bias', true),
        kernelInitializer: initializer(c, 'kernel_initializer', 'glorotUniform'),
        biasInitializer: initializer(c, 'bias_initializer', 'zeros'),
      });
    }
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      channelsLast(c);
      const poolSize = pairOf(c.take('pool_size') ?? 2, `${c.where}: pool_size`);
      const strides = c.take('strides');
      const poolArgs = { ...args, poolSize, strides: strides == null ? poolSize : pairOf(strides, `${c.where}: strides`), padding: padding(c) };
      return kind === 'MaxPooling2D' ? new MaxPooling2D(poolArgs) : new AveragePooling2D(poolArgs);
    }
    case 'Flatten':
      channelsLast(c);
      return new Flatten(args);
    case 'Dropout': {
      noExtras(c, ['noise_shape']);
      c.take('seed'); // the engine's masks derive from the model's seed
      return new Dropout({ ...args, rate: c.take('rate') as number });
    }
    case 'BatchNormalization': {
      noExtras(c, ['beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint']);
      const expected: [string, Initializer][] = [
        ['beta_initializer', 'zeros'],
        ['gamma_initializer', 'ones'],
        ['moving_mean_initializer', 'zeros'],
        ['moving_variance_initializer', 'ones'],
      ];
      for (const [key, value] of expected) {
        if (initializer(c, key, value) !== value) c.unsupported(key, c.config[key]);
      }
      const axis = batchNormAxis(c);
      // Keras 3.15 writes renorm: false with renorm_momentum 0.99, which only renorm uses.
      if (c.config.renorm !== true) c.take('renorm_momentum');
      const layer = new BatchNormalization({
        ...args,
        momentum: number(c, 'momentum', 0.99),
        epsilon: number(c, 'epsilon', 1e-3),
        center: bool(c, 'center', true),
        scale: bool(c, 'scale', true),
      });
      bnAxes.push({ layer, axis });
      return layer;
    }
    case 'Activation':
      return new Activation({ ...args, activation: activation(c) });
    default:
      throw new Error(`${c.where}: unknown layer class '${kind}' (supported: InputLayer, Conv2D, Dense, MaxPooling2D, AveragePooling2D, Flatten, Dropout, BatchNormalization, Activation)`);
  }
}

/**
 * A layer's config, read key by key. finish() refuses every key that was not read and whose
 * value is not null or false: an argument the engine would otherwise silently drop.
 */
class ConfigReader {
  private readonly read = new Set<string>();
  constructor(
    readonly where: string,
    readonly config: Json,
  ) {}

  take(key: string): unknown {
    this.read.add(key);
    return this.config[key];
  }

  unsupported(key: string, value: unknown): never {
    throw new Error(`${this.where}: unsupported argument ${key}: ${JSON.stringify(value)}`);
  }

  finish(): void {
    for (const [key, value] of Object.entries(this.config)) {
      if (!this.read.has(key) && value !== null && value !== false) this.unsupported(key, value);
    }
  }
}

/** Runs a layer constructor, naming the layer in its argument errors ("Conv2D: ..." → "Conv2D layer 'c': ..."). */
function withLayerName(where: string, kind: string, make: () => Layer): Layer {
  try {
    return make();
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith(where)) throw err;
    throw new Error(`${where}: ${message.startsWith(`${kind}: `) ? message.slice(kind.length + 2) : message}`);
  }
}

function checkModule(where: string, module: unknown, registeredName: unknown, className: string): void {
  if (module !== undefined && module !== null && (typeof module !== 'string' || !(module === 'keras' || module.startsWith('keras.')))) {
    throw new Error(`${where}: module ${JSON.stringify(module)} is not Keras' own (custom objects are not supported)`);
  }
  if (registeredName !== undefined && registeredName !== null && registeredName !== className) {
    throw new Error(`${where}: registered_name ${JSON.stringify(registeredName)} is a custom object, which is not supported`);
  }
}

function checkDtype(where: string, dtype: unknown): void {
  if (dtype === undefined || dtype === null || dtype === 'float32') return;
  // Keras 3: {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}
  if (isObject(dtype) && dtype.class_name === 'DTypePolicy' && isObject(dtype.config) && dtype.config.name === 'float32') return;
  throw new Error(`${where}: unsupported argument dtype: ${JSON.stringify(dtype)} (only float32)`);
}

function channelsLast(c: ConfigReader): void {
  const format = c.take('data_format');
  if (format != null && format !== 'channels_last') c.unsupported('data_format', format);
}

/** Requires each of `keys` to be null or absent (regularizers, constraints, noise shapes). */
function noExtras(c: ConfigReader, keys: string[]): void {
  for (const key of keys) {
    const value = c.take(key);
    if (value != null) c.unsupported(key, value);
  }
}

function padding(c: ConfigReader): 'valid' | 'same' {
  const value = c.take('padding') ?? 'valid';
  if (value !== 'valid' && value !== 'same') c.unsupported('padding', value);
  return value;
}

function activation(c: ConfigReader): ActivationName {
  const value = c.take('activation') ?? 'linear';
  if (typeof value !== 'string' || !ACTIVATIONS.includes(value as ActivationName)) {
    throw new Error(`${c.where}: unsupported argument activation: ${JSON.stringify(value)} (supported: ${ACTIVATIONS.join(', ')})`);
  }
  return value as ActivationName;
}

function bool(c: ConfigReader, key: string, fallback: boolean): boolean {
  const value = c.take(key) ?? fallback;
  if (typeof value !== 'boolean') throw new Error(`${c.where}: ${key} must be true or false, got ${JSON.stringify(value)}`);
  return value;
}

function number(c: ConfigReader, key: string, fallback: number): number {
  const value = c.take(key) ?? fallback;
  if (typeof value !== 'number') throw new Error(`${c.where}: ${key} must be a number, got ${JSON.stringify(value)}`);
  return value;
}

function batchNormAxis(c: ConfigReader): number {
  let axis = c.take('axis') ?? -1;
  if (Array.isArray(axis) && axis.length === 1) axis = axis[0]; // tf.keras writes [3] once built
  if (typeof axis !== 'number' || !Number.isInteger(axis)) c.unsupported('axis', c.config.axis);
  return axis;
}

/** Keras initializer names and classes, and the VarianceScaling settings each one is. */
const INITIALIZERS: Record<string, Initializer> = {
  GlorotUniform: 'glorotUniform',
  glorot_uniform: 'glorotUniform',
  GlorotNormal: 'glorotNormal',
  glorot_normal: 'glorotNormal',
  HeNormal: 'heNormal',
  he_normal: 'heNormal',
  HeUniform: 'heUniform',
  he_uniform: 'heUniform',
  Zeros: 'zeros',
  zeros: 'zeros',
  Ones: 'ones',
  ones: 'ones',
};

const VARIANCE_SCALING: { init: Initializer; scale: number; mode: string; distribution: string }[] = [
  { init: 'glorotUniform', scale: 1, mode: 'fan_avg', distribution: 'uniform' },
  { init: 'glorotNormal', scale: 1, mode: 'fan_avg', distribution: 'truncated_normal' },
  { init: 'glorotNormal', scale: 1, mode: 'fan_avg', distribution: 'normal' },
  { init: 'heNormal', scale: 2, mode: 'fan_in', distribution: 'truncated_normal' },
  // Keras 2.0-2.2 and TF.js write 'normal' for the truncated normal.
  { init: 'heNormal', scale: 2, mode: 'fan_in', distribution: 'normal' },
  { init: 'heUniform', scale: 2, mode: 'fan_in', distribution: 'uniform' },
];

function initializer(c: ConfigReader, key: string, fallback: Initializer): Initializer {
  const value = c.take(key);
  if (value == null) return fallback;
  const fail = (why: string): never => {
    throw new Error(`${c.where}: unsupported argument ${key}: ${JSON.stringify(value)} (${why})`);
  };
  const supported = 'supported: GlorotUniform, GlorotNormal, HeNormal, HeUniform, Zeros, Ones';
  if (typeof value === 'string') return INITIALIZERS[value] ?? fail(supported);
  if (!isObject(value) || typeof value.class_name !== 'string') return fail('expected a name or {class_name, config}');
  checkModule(`${c.where}: ${key}`, value.module, value.registered_name, value.class_name);
  const { seed, ...settings } = isObject(value.config) ? value.config : {};
  void seed; // initial values come from the model's seed
  if (value.class_name === 'VarianceScaling') {
    const match = VARIANCE_SCALING.find((v) => v.scale === settings.scale && v.mode === settings.mode && v.distribution === settings.distribution);
    return match?.init ?? fail(`only the VarianceScaling settings of ${supported.slice(11)}`);
  }
  const init = INITIALIZERS[value.class_name] ?? fail(supported);
  // Arguments a newer Keras adds (3.10+: input_axes, output_axes) are accepted while off.
  const active = Object.keys(settings).filter((k) => settings[k] !== null && settings[k] !== false);
  if (active.length > 0) fail(`arguments ${active.join(', ')}`);
  return init;
}

/** A Keras shape list, unwrapping Keras 2's {"class_name": "__tuple__", "items": [...]}. */
function list(value: unknown, what: string): unknown[] {
  if (isObject(value) && Array.isArray(value.items)) return value.items;
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

/** An int or a pair of ints (kernel_size, strides, pool_size, dilation_rate). */
function pairOf(value: unknown, what: string): [number, number] {
  const items = typeof value === 'number' ? [value, value] : list(value, what);
  if (items.length !== 2 || !items.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)) {
    throw new Error(`${what}: expected a positive integer or two, got ${JSON.stringify(value)}`);
  }
  return items as [number, number];
}

/** A batch shape [batch, ...dims] to the per-sample shape; every dimension but the batch must be known. */
function sampleShape(value: unknown, what: string): number[] {
  const items = list(value, what);
  if (items.length < 2) throw new Error(`${what}: expected [batch, ...dimensions], got ${JSON.stringify(value)}`);
  return positiveDims(items.slice(1), what);
}

function positiveDims(value: unknown, what: string): number[] {
  const items = list(value, what);
  if (!items.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)) {
    throw new Error(`${what}: every dimension but the batch must be a known positive integer, got ${JSON.stringify(value)}`);
  }
  return items as number[];
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function layerInputShape(model: Sequential, layer: Layer): number[] {
  const i = model.layers.indexOf(layer);
  return i === 0 ? model.inputShape : model.layers[i - 1].outputShape;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v;
}

// ---------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------

/** `model.to_json()`: the model's architecture as Keras writes it (Keras 3 layout by default). */
export function toKerasJson(model: Sequential, options: KerasJsonOptions = {}): string {
  return JSON.stringify(kerasModelConfig(model, options.layout ?? 'keras3'), null, options.indent);
}

/**
 * The object behind toKerasJson. `tfjs` is the Keras 2 layout as TF.js writes it (the
 * modelTopology of a TF.js model.json): no InputLayer, no Conv2D groups, BatchNormalization's
 * axis as -1.
 */
export function kerasModelConfig(model: Sequential, layout: KerasLayout | 'tfjs'): Json {
  model.build();
  const keras3 = layout === 'keras3';
  const batchShape = [null, ...model.inputShape];
  const layers = model.layers.map((layer, i) => {
    const inputShape = [null, ...(i === 0 ? model.inputShape : model.layers[i - 1].outputShape)];
    const base: Json = { name: layer.name, trainable: true };
    if (!keras3 && i === 0) base.batch_input_shape = batchShape;
    base.dtype = keras3 ? dtypePolicy() : 'float32';
    const config = { ...base, ...layerConfig(layer, layout, inputShape.length - 1) };
    if (!keras3) return { class_name: layer.className, config };
    const entry: Json = { module: 'keras.layers', class_name: layer.className, config, registered_name: null };
    // Keras 3 records build shapes for the layers that have a build step (not pooling, dropout, activation).
    if (BUILT_LAYERS.has(layer.className)) entry.build_config = { input_shape: inputShape };
    return entry;
  });
  if (keras3) {
    const input = { module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: batchShape, dtype: 'float32', sparse: false, ragged: false, name: 'input_layer' }, registered_name: null };
    return {
      module: 'keras',
      class_name: 'Sequential',
      config: { name: model.name, trainable: true, dtype: dtypePolicy(), layers: [input, ...layers], build_input_shape: batchShape },
      registered_name: null,
      build_config: { input_shape: batchShape },
    };
  }
  // TF.js writes no InputLayer (it would appear in its model.layers): the first layer's batch_input_shape says it.
  const input = { class_name: 'InputLayer', config: { batch_input_shape: batchShape, dtype: 'float32', sparse: false, ragged: false, name: `${model.layers[0].name}_input` } };
  return {
    class_name: 'Sequential',
    config: { name: model.name, layers: layout === 'tfjs' ? layers : [input, ...layers] },
    keras_version: layout === 'tfjs' ? 'webgpu-dl' : '2.4.0',
    backend: layout === 'tfjs' ? 'tensor_flow.js' : 'tensorflow',
  };
}

const BUILT_LAYERS = new Set(['Conv2D', 'Dense', 'BatchNormalization', 'Flatten']);

function dtypePolicy(): Json {
  return { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
}

function layerConfig(layer: Layer, layout: KerasLayout | 'tfjs', rank: number): Json {
  const init = (kind: Initializer) => initializerConfig(kind, layout);
  const nulls = (...keys: string[]) => Object.fromEntries(keys.map((k) => [k, null]));
  if (layer instanceof Conv2D) {
    return {
      filters: layer.filters,
      kernel_size: layer.kernelSize,
      strides: layer.strides,
      padding: layer.padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      ...(layout === 'tfjs' ? {} : { groups: 1 }), // TF.js' Conv2D has no groups
      activation: layer.activation,
      use_bias: layer.useBias,
      kernel_initializer: init(layer.kernelInitializer),
      bias_initializer: init(layer.biasInitializer),
      ...nulls('kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint'),
    };
  }
  if (layer instanceof Dense) {
    return {
      units: layer.units,
      activation: layer.activation,
      use_bias: layer.useBias,
      kernel_initializer: init(layer.kernelInitializer),
      bias_initializer: init(layer.biasInitializer),
      // Keras 3's Dense does not write activity_regularizer.
      ...(layout === 'keras3'
        ? nulls('kernel_regularizer', 'bias_regularizer', 'kernel_constraint', 'bias_constraint')
        : nulls('kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', 'bias_constraint')),
    };
  }
  if (layer instanceof MaxPooling2D || layer instanceof AveragePooling2D) {
    return { pool_size: layer.poolSize, padding: layer.padding, strides: layer.strides, data_format: 'channels_last' };
  }
  if (layer instanceof Flatten) return { data_format: 'channels_last' };
  if (layer instanceof Dropout) {
    return layout === 'keras3' ? { rate: layer.rate, seed: null, noise_shape: null } : { rate: layer.rate, noise_shape: null, seed: null };
  }
  if (layer instanceof BatchNormalization) {
    return {
      // tf.keras writes the axis it resolved at build time, as a list; Keras 3 and TF.js write -1.
      axis: layout === 'keras2' ? [rank] : -1,
      momentum: layer.momentum,
      epsilon: layer.epsilon,
      center: layer.center,
      scale: layer.scale,
      beta_initializer: init('zeros'),
      gamma_initializer: init('ones'),
      moving_mean_initializer: init('zeros'),
      moving_variance_initializer: init('ones'),
      ...nulls('beta_regularizer', 'gamma_regularizer', 'beta_constraint', 'gamma_constraint'),
      ...(layout === 'keras3' ? { synchronized: false } : {}),
    };
  }
  if (layer instanceof Activation) return { activation: layer.activation };
  throw new Error(`${layer.className} layer '${layer.name}' has no Keras JSON form`);
}

const INITIALIZER_CLASSES: Record<Initializer, string> = {
  glorotUniform: 'GlorotUniform',
  glorotNormal: 'GlorotNormal',
  heNormal: 'HeNormal',
  heUniform: 'HeUniform',
  zeros: 'Zeros',
  ones: 'Ones',
};

function initializerConfig(kind: Initializer, layout: KerasLayout | 'tfjs'): Json {
  const className = INITIALIZER_CLASSES[kind];
  const config = kind === 'zeros' || kind === 'ones' ? {} : { seed: null };
  if (layout === 'keras3') return { module: 'keras.initializers', class_name: className, config, registered_name: null };
  return { class_name: className, config };
}
