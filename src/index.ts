/** webgpu-dl: Keras-style CNN training on WebGPU, in the browser and in Node (Dawn). */
export { createDevice, Device, type AdapterSummary, type DeviceOptions } from './device/device.js';
export type { AdapterChoice } from './device/adapter.js';
export { Sequential, type CompileArgs, type FitArgs, type Callbacks, type Progress, type Logs, type History } from './nn/sequential.js';
export { layers, Layer } from './nn/layers/index.js';
export { optimizers, type OptimizerConfig, type OptimizerKind, type OptimizerSpec } from './nn/optimizers.js';
export type { LossName } from './nn/loss.js';
export type { Labels } from './nn/inputs.js';
export { presets, presetNames, type Preset } from './nn/presets.js';
export { loadMnist, mnistFromBuffers } from './data/mnist.js';
export { shuffledIndices, toOneHot, labelsFromOneHot } from './data/batches.js';
export { fromKerasJson, toKerasJson, type KerasLayout, type KerasJsonOptions } from './io/keras-json.js';
export { encodeSafetensors, decodeSafetensors, type NamedTensor, type DecodedSafetensors } from './io/safetensors.js';
export { namedWeights, setNamedWeights, encodeWeightsSafetensors, loadWeightsSafetensors } from './io/model-weights.js';
export { encodeTfjs, parseTfjsModelJson, tfjsModel, decodeTfjsWeights, loadTfjsWeights, type TfjsArtifacts, type TfjsModelJson } from './io/tfjs.js';
export { encodeCheckpoint, restoreCheckpoint, type CheckpointInfo } from './io/checkpoint.js';
export { saveWeights, loadWeights, readTfjs, readTfjsModel, weightsFormat, writeCheckpoint, readCheckpoint } from './io/files.js';
export { decodePng, imageToInput, type DecodedImage } from './io/png.js';
export { loadModel, saveModel, loadKerasWeights, encodeKerasModel, decodeKerasModel, decodeKerasWeights } from './io/keras-file/index.js';
