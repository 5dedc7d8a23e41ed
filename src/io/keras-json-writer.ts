/**
 * Writes a Sequential model (any SavableModel) as Keras' model JSON (keras-json.ts describes
 * the layouts). This file writes the model around the layers (InputLayer, names, dtypes, build
 * shapes); each layer writes its own arguments (Layer.config).
 */
import type { KerasConfig, KerasFlavor } from '../nn/layers/keras-config.js';
import type { SavableModel } from '../nn/savable-model.js';

/** Which Keras writes the JSON: `keras3` (the default) or `keras2` (tf.keras 2.x). */
export type KerasLayout = Exclude<KerasFlavor, 'tfjs'>;

export interface KerasJsonOptions {
  layout?: KerasLayout;
  /** Passed to JSON.stringify; Keras' to_json() writes one line (no indent) by default. */
  indent?: number;
}

/** `model.to_json()`: the model's architecture as Keras writes it (Keras 3 layout by default). */
export function toKerasJson(model: SavableModel, options: KerasJsonOptions = {}): string {
  return JSON.stringify(kerasModelConfig(model, options.layout ?? 'keras3'), null, options.indent);
}

/**
 * The object behind toKerasJson. `tfjs` is the Keras 2 layout as TF.js writes it (the
 * modelTopology of a TF.js model.json): no InputLayer, and the layers' TF.js configs.
 */
export function kerasModelConfig(model: SavableModel, layout: KerasFlavor): KerasConfig {
  model.build();
  const keras3 = layout === 'keras3';
  const batchShape = [null, ...model.inputShape];
  const layers = model.layers.map((layer, i) => {
    const base: KerasConfig = { name: layer.name, trainable: layer.trainable };
    if (!keras3 && i === 0) base.batch_input_shape = batchShape;
    base.dtype = keras3 ? dtypePolicy() : 'float32';
    const config = { ...base, ...layer.config(layout) };
    if (!keras3) return { class_name: layer.className, config };
    const entry: KerasConfig = { module: 'keras.layers', class_name: layer.className, config, registered_name: null };
    if (layer.keras3BuildConfig) {
      entry.build_config = { input_shape: [null, ...(i === 0 ? model.inputShape : model.layers[i - 1].outputShape)] };
    }
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

function dtypePolicy(): KerasConfig {
  return { module: 'keras', class_name: 'DTypePolicy', config: { name: 'float32' }, registered_name: null };
}
