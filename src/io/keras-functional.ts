/**
 * Keras functional models (`keras.Model(inputs, outputs)`, class_name Functional in Keras 3,
 * Model in tf.keras 2 and TF.js) that are one chain — an InputLayer, then each layer called
 * once on the previous one's output — are the Sequential model of the same layers, and are
 * read as one. Anything else (branches, several inputs or outputs, a layer called twice or on
 * keyword tensors) is refused, naming the layer where the chain breaks.
 *
 * How each layer names its input (inbound_nodes, one entry per call):
 *   Keras 3           [{"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [layer, node, tensor], ...}}], "kwargs": {}}]
 *   tf.keras 2, TF.js [[[layer, node, tensor, {kwargs}]]]
 * input_layers / output_layers: [[layer, node, tensor], ...], or Keras 3's [layer, node, tensor] for one.
 */
import { isObject, type KerasConfig } from '../nn/layers/keras-config.js';

/** The class names of a functional model's JSON. */
export const FUNCTIONAL_CLASSES = ['Functional', 'Model'];

/** The same model in Sequential form (its layers in order, InputLayer first), or an error saying why it is not a chain. */
export function functionalAsSequential(model: KerasConfig): KerasConfig {
  const fail = (why: string): never => {
    throw new Error(`Keras model JSON: a ${String(model.class_name)} model is read only when its layers form one chain (a Sequential model): ${why}`);
  };
  const config = model.config;
  if (!isObject(config) || !Array.isArray(config.layers)) return fail('config.layers (the list of layers) is missing');
  const entries = config.layers as unknown[];
  const names = entries.map((entry, i) => {
    const name = isObject(entry) ? (entry.name ?? (isObject(entry.config) ? entry.config.name : undefined)) : undefined;
    return typeof name === 'string' ? name : fail(`layer ${i} has no name`);
  });
  const ends = (key: string) => {
    const value = config[key];
    const list = Array.isArray(value) && value.length > 0 && !Array.isArray(value[0]) ? [value] : value;
    if (!Array.isArray(list) || list.length !== 1) return fail(`${key} must name one layer, got ${JSON.stringify(value)}`);
    return tensorSource(list[0], key, fail);
  };
  if (ends('input_layers') !== names[0] || !isObject(entries[0]) || entries[0].class_name !== 'InputLayer') return fail(`the first layer must be the model's one InputLayer, got '${names[0]}'`);
  if (ends('output_layers') !== names.at(-1)) return fail(`the output must be the last layer, '${names.at(-1)}'`);
  entries.forEach((entry, i) => {
    if (i === 0) return;
    const nodes = (entry as KerasConfig).inbound_nodes;
    if (!Array.isArray(nodes) || nodes.length !== 1) return fail(`layer '${names[i]}' is called ${Array.isArray(nodes) ? nodes.length : 0} times, not once`);
    const inputs = nodeInputs(nodes[0], names[i], fail);
    if (inputs.length !== 1 || inputs[0] !== names[i - 1]) return fail(`layer '${names[i]}' takes ${inputs.map((n) => `'${n}'`).join(', ') || 'nothing'}, not the layer before it, '${names[i - 1]}'`);
  });
  const { input_layers: _inputs, output_layers: _outputs, ...rest } = config;
  return { class_name: 'Sequential', config: rest, ...(model.build_config ? { build_config: model.build_config } : {}) };
}

/** The layer names one call (node) takes its tensors from. */
function nodeInputs(node: unknown, layer: string, fail: (why: string) => never): string[] {
  // tf.keras 2 and TF.js: [[source, node, tensor, kwargs], ...]
  if (Array.isArray(node)) {
    return node.map((input) => {
      if (Array.isArray(input) && input.length === 4 && isObject(input[3]) && Object.values(input[3]).some(isSet)) fail(`layer '${layer}' is called with arguments ${JSON.stringify(input[3])}`);
      return tensorSource(input, `layer '${layer}'`, fail);
    });
  }
  // Keras 3: {args: [keras tensor, ...], kwargs: {...}}
  if (!isObject(node) || !Array.isArray(node.args)) return fail(`layer '${layer}': inbound node ${JSON.stringify(node)} is not one Keras writes`);
  if (isObject(node.kwargs) && Object.values(node.kwargs).some(isSet)) fail(`layer '${layer}' is called with arguments ${JSON.stringify(node.kwargs)}`);
  return node.args.map((arg) => {
    const history = isObject(arg) && arg.class_name === '__keras_tensor__' && isObject(arg.config) ? arg.config.keras_history : undefined;
    return tensorSource(history, `layer '${layer}'`, fail);
  });
}

/**
 * A call argument that changes the layer's behaviour: anything but null or false (Keras 3
 * records Dropout's symbolic call as training: false, which fit overrides; training: true
 * would keep it on at inference).
 */
function isSet(value: unknown): boolean {
  return value !== null && value !== false;
}

/** The layer of a [layer, node, tensor] reference to its first output (node 0, tensor 0 in a chain). */
function tensorSource(ref: unknown, where: string, fail: (why: string) => never): string {
  if (!Array.isArray(ref) || typeof ref[0] !== 'string') return fail(`${where}: ${JSON.stringify(ref)} is not a [layer, node, tensor] reference`);
  if (ref[1] !== 0 || ref[2] !== 0) fail(`${where} takes output ${ref[2]} of call ${ref[1]} of '${ref[0]}' (a chain takes each layer's one output)`);
  return ref[0];
}
