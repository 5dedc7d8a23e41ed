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
 * Reading is strict: an argument the engine does not implement (channels_first, groups, a
 * dilation with strides, other regularizers, constraints, dtypes, initializers or
 * activations) is an error that names the layer and the argument (nn/layers/keras-config.ts
 * says which values pass).
 *
 * keras-json-reader.ts and keras-json-writer.ts read and write the model around the layers;
 * each layer reads and writes its own arguments (Layer.config, the static fromConfig of each
 * layer class, found by Keras class name in nn/layers/index.ts).
 */
export { fromKerasJson } from './keras-json-reader.js';
export { kerasModelConfig, toKerasJson, type KerasJsonOptions, type KerasLayout } from './keras-json-writer.js';
