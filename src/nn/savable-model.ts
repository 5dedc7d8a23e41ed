/**
 * The narrow model interface the formats of src/io/ read and write through (weights files,
 * TF.js, checkpoints, Keras JSON, Keras .keras/.h5 files): weights by name, the optimizer's
 * config and state, each layer's Keras config. Sequential implements it; io names no model
 * class except where it builds a model from a file.
 */
import type { Device } from '../device/device.js';
import type { Layer } from './layers/layer.js';
import { optimizerStateSlots, type Optimizer, type OptimizerConfig } from './optimizers.js';
import type { WeightStore } from './weights.js';
import type { CheckedLoss } from './loss.js';

/** A layer as formats see it: its Keras form, its output shape and its weights (names, shapes, offsets). */
export type SavableLayer = Pick<Layer, 'name' | 'className' | 'config' | 'keras3BuildConfig' | 'outputShape' | 'weightSlots' | 'trainable' | 'activityRegularizer'>;

export interface SavableModel {
  /** Keras' model name. */
  readonly name: string;
  /** One sample's shape, e.g. [28, 28, 1]. */
  readonly inputShape: number[];
  /** In order; their names, shapes and weight slots are set by build(). */
  readonly layers: readonly SavableLayer[];
  /** Names the layers and infers their shapes (once; later calls do nothing). */
  build(): void;
  /** The weights in Keras' order (the layers' weightSlots in turn); the model must be compiled. */
  getWeights(): Promise<Float32Array[]>;
  /** Values in getWeights' order, each checked against its slot before any is written. */
  setWeights(values: Float32Array[]): void;
  /** The compiled optimizer and training counters; throws when the model is not compiled. */
  trainingState(): TrainingState;
}

/** What a checkpoint or a .keras file saves and restores beyond the weights. */
export interface TrainingState {
  /** compile's seed: weight initialisation, dropout, and (with the epoch) the shuffle order. */
  readonly seed: number;
  /** Optimizer steps taken: Adam's t and the dropout stream. */
  optimizerSteps: number;
  readonly optimizer: SavableOptimizer;
  /** compile's loss: a .keras file records it (from_logits included). */
  readonly loss: CheckedLoss;
  /**
   * (4) f32: the running loss and accuracy sums of the epoch under way (loss sum, correct,
   * samples, 0), after every step submitted so far; a checkpoint within an epoch saves them.
   */
  readMetrics(): Promise<Float32Array>;
}

/** A compiled optimizer: its config and its state over the flat parameter buffer. */
export interface SavableOptimizer {
  /** As compiled, with any learning rate set since. */
  readonly config: OptimizerConfig;
  /**
   * [slots, params] of its state: slots per parameter of its kind, and the flat parameter
   * buffer's length, alignment gaps included (a weight's values start at its slot's offset).
   */
  readonly stateShape: readonly [number, number];
  /** Its state, (slots, params) row-major. */
  readState(): Promise<Float32Array>;
  /** Replaces its state with `state`, (slots, params) row-major. */
  writeState(state: Float32Array): void;
  /** Changes the learning rate from the next step on. */
  setLearningRate(rate: number): void;
}

/** The SavableOptimizer view of a compiled optimizer whose state lies on `device`. */
export function savableOptimizer(device: Device, weights: WeightStore, optimizer: Optimizer): SavableOptimizer {
  const shape = () => [optimizerStateSlots(optimizer.config), weights.paramCount] as const;
  return {
    get config() {
      return optimizer.config;
    },
    get stateShape() {
      return shape();
    },
    readState: () => device.readFloats(optimizer.state, 0, shape()[0] * shape()[1]),
    writeState(state) {
      const [slots, params] = shape();
      if (state.length !== slots * params) throw new Error(`optimizer state: ${state.length} values, the ${optimizer.config.kind} state needs ${slots} × ${params}`);
      device.gpu.queue.writeBuffer(optimizer.state, 0, state.buffer, state.byteOffset, state.byteLength);
    },
    setLearningRate: (rate) => optimizer.setLearningRate(rate),
  };
}
