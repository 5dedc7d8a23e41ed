/**
 * Where Keras puts a Sequential model's weights in its HDF5 files, read into the engine's
 * order (that of getWeights) with every check done before anything is returned.
 *
 *   Keras 3 (model.weights.h5 inside a .keras, and .weights.h5): `layers/<path>/vars/<i>`, the
 *     i-th variable of a layer (kernel then bias; gamma, beta, moving mean, moving variance),
 *     where <path> is not the layer's name but its class name in snake case, numbered in order
 *     of appearance among the model's layers: conv2d, conv2d_1, max_pooling2d, dense, ...
 *     (the group `vars` carries the layer's name as an attribute). Optimizer variables sit at
 *     `optimizer/vars/<i>`.
 *   Legacy HDF5 (tf.keras 2 and Keras 3 `model.save('x.h5')`, under `model_weights`; tf.keras 2
 *     `save_weights('x.h5')`, at the root): an attribute `layer_names` lists the layers in
 *     order, and each layer's group an attribute `weight_names`, paths relative to that group
 *     such as `conv2d/kernel:0` (tf.keras 2) or `sequential/conv2d/kernel` (Keras 3). As Keras
 *     does, layers with weights are matched by order; each weight's shape and its last name
 *     (kernel, bias, gamma, ...) must agree with the model's.
 */
import type { SavableLayer, SavableModel } from '../../nn/savable-model.js';
import type { H5Group, H5Tensor } from './hdf5-read.js';

/** Keras' snake_case of a class name (keras.src.utils.naming.to_snake_case). */
export function snakeCase(className: string): string {
  return className
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Each layer's group under `layers/` in a Keras 3 weights file: conv2d, conv2d_1, dense, ... */
export function kerasLayerPaths(model: SavableModel): string[] {
  const used = new Map<string, number>();
  return model.layers.map((layer) => {
    const base = snakeCase(layer.className);
    const n = used.get(base) ?? 0;
    used.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  });
}

/** The model's weights from a Keras 3 weights file (`layers/<path>/vars/<i>`). */
export function readKeras3Weights(root: H5Group, model: SavableModel): Float32Array[] {
  model.build();
  if (!root.has('layers')) throw new Error(`${root.source}: no group /layers: not a Keras 3 weights file`);
  const layersGroup = root.group('layers');
  const paths = kerasLayerPaths(model);
  const expected = new Set(paths);
  for (const key of layersGroup.keys()) {
    if (!expected.has(key) && layersGroup.group(key).has('vars') && layersGroup.group(`${key}/vars`).keys().length > 0) {
      throw new Error(`${root.source}: /layers/${key} holds weights, but the model has no such layer (its layers: ${paths.join(', ')})`);
    }
  }
  return model.layers.flatMap((layer, index) => {
    const slots = layer.weightSlots;
    const path = paths[index];
    if (slots.length === 0) return [];
    if (!layersGroup.has(path)) throw new Error(`${root.source}: /layers/${path} (layer '${layer.name}', ${layer.className}) is missing`);
    const vars = layersGroup.group(`${path}/vars`);
    const count = vars.keys().length;
    if (count !== slots.length) throw new Error(`${root.source}: ${vars.path} holds ${count} weights; layer '${layer.name}' (${layer.className}) has ${slots.length}`);
    return slots.map((slot, i) => checkShape(vars.tensor(String(i)), layer, slot.name, slot.shape, `${vars.path}/${i}`, root.source));
  });
}

/** The model's weights from a legacy HDF5 group (`model_weights`, or the root of a weights file). */
export function readLegacyWeights(group: H5Group, model: SavableModel): Float32Array[] {
  model.build();
  const layerNames = group.stringsAttr('layer_names');
  if (!layerNames) throw new Error(`${group.source}: ${group.path} has no layer_names attribute: not a Keras HDF5 weights group`);
  const saved = layerNames.map((name) => ({ name, group: group.group(name) })).map((l) => ({ ...l, weightNames: l.group.stringsAttr('weight_names') ?? [] }));
  const withWeights = saved.filter((l) => l.weightNames.length > 0);
  const layers = model.layers.filter((l) => l.weightSlots.length > 0);
  if (withWeights.length !== layers.length) {
    throw new Error(
      `${group.source}: ${group.path} holds weights for ${withWeights.length} layers (${withWeights.map((l) => l.name).join(', ')}); ` +
        `the model has ${layers.length} layers with weights (${layers.map((l) => l.name).join(', ')})`,
    );
  }
  return layers.flatMap((layer, k) => {
    const file = withWeights[k];
    const slots = layer.weightSlots;
    if (file.weightNames.length !== slots.length) {
      throw new Error(`${group.source}: ${file.group.path} holds ${file.weightNames.length} weights (${file.weightNames.join(', ')}); layer '${layer.name}' (${layer.className}) has ${slots.length}`);
    }
    return slots.map((slot, i) => {
      const name = file.weightNames[i];
      const where = `${file.group.path}/${name}`;
      const short = slot.name.slice(slot.name.lastIndexOf('/') + 1);
      if (lastName(name) !== short && lastName(name) !== slot.tfjsName) throw new Error(`${group.source}: ${where} is weight ${i} of layer '${file.name}', where the model's layer '${layer.name}' has ${short}`);
      return checkShape(file.group.tensor(name), layer, slot.name, slot.shape, where, group.source);
    });
  });
}

/** `conv2d/kernel:0` → `kernel`. */
export function lastName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1).replace(/:\d+$/, '');
}

function checkShape(tensor: H5Tensor, layer: SavableLayer, name: string, shape: number[], where: string, source: string): Float32Array {
  const same = tensor.shape.length === shape.length && tensor.shape.every((d, i) => d === shape[i]);
  if (!same) throw new Error(`${source}: ${where} (${name} of ${layer.className} layer '${layer.name}') has shape [${tensor.shape}]; the model needs [${shape}]`);
  return tensor.data;
}
