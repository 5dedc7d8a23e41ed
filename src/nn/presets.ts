/**
 * The seed models: Keras MNIST CNN examples with their training settings
 * (see the README for sources and the accuracies Keras reached).
 */
import type { FitArgs } from './fit.js';
import { Sequential } from './sequential.js';
import { layers } from './layers/index.js';
import { optimizers, type OptimizerConfig } from './optimizers.js';

export interface Preset {
  model: Sequential;
  optimizer: OptimizerConfig;
  /** batchSize and epochs, plus validationSplit where the original held out data. */
  fit: Required<Pick<FitArgs, 'batchSize' | 'epochs'>> & Pick<FitArgs, 'validationSplit'>;
  /** Test accuracy the seed write-up reported with Keras, where it gave one. */
  kerasTestAccuracy?: number;
  description: string;
}

const input = [28, 28, 1];

export const presets: Record<string, () => Preset> = {
  'mnist-conv3': () => ({
    description: 'three 2×2 same convs (16, 32, 64) with max pooling, dense 500, SGD',
    model: new Sequential([
      layers.conv2d({ filters: 16, kernelSize: 2, padding: 'same', activation: 'relu', inputShape: input }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 32, kernelSize: 2, padding: 'same', activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.conv2d({ filters: 64, kernelSize: 2, padding: 'same', activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 500, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ]),
    optimizer: optimizers.sgd(),
    fit: { batchSize: 100, epochs: 10, validationSplit: 0.1 },
    kerasTestAccuracy: 0.9799,
  }),
  'mnist-cnn': () => ({
    description: "Keras' mnist_cnn example: conv 32, conv 64, pool, dropout, dense 128, Adadelta",
    model: new Sequential([
      layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: input }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.dropout({ rate: 0.25 }),
      layers.flatten(),
      layers.dense({ units: 128, activation: 'relu' }),
      layers.dropout({ rate: 0.5 }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ]),
    optimizer: optimizers.adadelta({ learningRate: 1.0 }),
    fit: { batchSize: 128, epochs: 12 },
    kerasTestAccuracy: 0.9922,
  }),
  'mnist-conv5': () => ({
    description: 'two 5×5 convs (32, 64) with pooling and dropout, dense 1024, Adam',
    model: new Sequential([
      layers.conv2d({ filters: 32, kernelSize: 5, activation: 'relu', inputShape: input }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.dropout({ rate: 0.3 }),
      layers.conv2d({ filters: 64, kernelSize: 5, activation: 'relu' }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.dropout({ rate: 0.3 }),
      layers.flatten(),
      layers.dense({ units: 1024, activation: 'relu' }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ]),
    optimizer: optimizers.adam(),
    fit: { batchSize: 128, epochs: 10 },
  }),
  'mnist-bn': () => ({
    description: 'two blocks of [conv 64, conv 64, batch norm, pool, dropout .25], dense 256, dense 128, dropout .5, Adam',
    model: new Sequential([
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', inputShape: input }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.batchNormalization(),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.dropout({ rate: 0.25 }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu' }),
      layers.batchNormalization(),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.dropout({ rate: 0.25 }),
      layers.flatten(),
      layers.dense({ units: 256, activation: 'relu' }),
      layers.dense({ units: 128, activation: 'relu' }),
      layers.dropout({ rate: 0.5 }),
      layers.dense({ units: 10, activation: 'softmax' }),
    ]),
    optimizer: optimizers.adam(),
    fit: { batchSize: 128, epochs: 10 },
    kerasTestAccuracy: 0.9929,
  }),
};

export const presetNames = Object.keys(presets);
