/**
 * Reads Keras' model JSON (keras-json.ts describes the layouts) into a Sequential model. This
 * file reads the model around the layers (InputLayer, names, dtypes, input and build shapes);
 * each layer class reads its own arguments (its static fromConfig, found by Keras class name
 * in nn/layers' registry), strictly, as nn/layers/keras-config.ts describes.
 */
import { Sequential } from '../nn/sequential.js';
import { Activation, LeakyReLU, layerClasses, type Layer } from '../nn/layers/index.js';
import type { LayerClass } from '../nn/layers/layer.js';
import { ConfigReader, checkModule, isObject, list, type KerasConfig } from '../nn/layers/keras-config.js';
import { FUNCTIONAL_CLASSES, functionalAsSequential } from './keras-functional.js';

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
  if (isObject((root as KerasConfig).model_config)) root = (root as KerasConfig).model_config;
  // A functional model that is one chain of layers is that Sequential model (keras-functional.ts).
  const model = FUNCTIONAL_CLASSES.includes((root as KerasConfig).class_name as string) ? functionalAsSequential(root as KerasConfig) : (root as KerasConfig);

  const className = model.class_name;
  if (className !== 'Sequential') {
    throw new Error(`Keras model JSON: only Sequential models (and functional ones that are a chain of layers) are supported, got class_name ${JSON.stringify(className)}`);
  }
  checkModule('Sequential model', model.module, model.registered_name, 'Sequential');
  // Keras ≤ 2.2 wrote the layer list as the config itself.
  const config: KerasConfig = Array.isArray(model.config) ? { layers: model.config } : (model.config as KerasConfig);
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
    const trainable = reader.take('trainable');
    if (trainable != null && typeof trainable !== 'boolean') throw new Error(`${where}: trainable must be true or false, got ${JSON.stringify(trainable)}`);
    checkDtype(where, reader.take('dtype'));
    const batchShape = reader.take('batch_shape');
    const batchInputShape = reader.take('batch_input_shape') ?? batchShape;
    const bareInputShape = reader.take('input_shape');
    let layerInput: number[] | undefined;
    if (batchInputShape != null) layerInput = sampleShape(batchInputShape, `${where}: batch_input_shape`);
    else if (bareInputShape != null) layerInput = positiveDims(bareInputShape, `${where}: input_shape`);
    if (layers.length === 0 && layerInput) declareInput(layerInput, `${where}: batch_input_shape`);

    const args = { name, inputShape: layers.length === 0 ? (layerInput ?? inputShape) : undefined, ...(trainable === false ? { trainable: false } : {}) };
    if (layers.length === 0 && !args.inputShape) {
      throw new Error(`Keras model JSON: the input shape is missing: give an InputLayer with batch_shape, or batch_input_shape on ${where}`);
    }
    const classes = { ...layerClasses, ...ACTIVATION_LAYER_CLASSES };
    const layerClass = Object.hasOwn(classes, kind) ? classes[kind] : undefined;
    if (!layerClass) throw new Error(`${where}: unknown layer class '${kind}' (supported: InputLayer, ${Object.keys(classes).join(', ')})`);
    const layer = withLayerName(where, kind, () => layerClass.fromConfig(reader, args));
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
    if (layer.config().activation === 'softmax') {
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
  return sequential;
}

/** Runs a layer's fromConfig, naming the layer in its constructor's errors ("Conv2D: ..." → "Conv2D layer 'c': ..."). */
function withLayerName(where: string, kind: string, make: () => Layer): Layer {
  try {
    return make();
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith(where)) throw err;
    throw new Error(`${where}: ${message.startsWith(`${kind}: `) ? message.slice(kind.length + 2) : message}`);
  }
}

function checkDtype(where: string, dtype: unknown): void {
  if (dtype === undefined || dtype === null || dtype === 'float32') return;
  // Keras 3: {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}
  if (isObject(dtype) && dtype.class_name === 'DTypePolicy' && isObject(dtype.config) && dtype.config.name === 'float32') return;
  throw new Error(`${where}: unsupported argument dtype: ${JSON.stringify(dtype)} (only float32)`);
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

function describe(v: unknown): string {
  return Array.isArray(v) ? 'a list' : v === null ? 'null' : typeof v;
}

/**
 * Keras' activation layer classes, read as the layer they equal (and written back as it): ReLU
 * without a maximum or threshold as Activation('relu'), with a maximum of 6 as
 * Activation('relu6'), or LeakyReLU where it has a negative slope; and Softmax over the last
 * axis (the output layer's, which the loss or predict applies).
 */
const ACTIVATION_LAYER_CLASSES: Record<string, LayerClass> = {
  ReLU: {
    fromConfig(c, args) {
      const maxValue = c.take('max_value');
      if (maxValue != null && maxValue !== 6) c.unsupported('max_value', maxValue);
      const threshold = c.take('threshold');
      if (threshold != null && threshold !== 0) c.unsupported('threshold', threshold);
      // A negative slope makes it a leaky ReLU (with no maximum).
      const slope = c.take('negative_slope');
      if (typeof slope === 'number' && slope !== 0) {
        if (maxValue === 6) c.unsupported('max_value', maxValue);
        return new LeakyReLU({ ...args, negativeSlope: slope });
      }
      return new Activation({ ...args, activation: maxValue === 6 ? 'relu6' : 'relu' });
    },
  },
  Softmax: {
    fromConfig(c, args) {
      const axis = c.take('axis');
      if (axis != null && axis !== -1 && !(Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) c.unsupported('axis', axis);
      return new Activation({ ...args, activation: 'softmax' });
    },
  },
};
