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
