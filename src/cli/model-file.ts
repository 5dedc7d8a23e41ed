/**
 * The model behind `--load FILE`: a preset when --model names one (the file then holds its
 * weights), else the file's own architecture (a .keras or .h5 file, a TF.js model.json), else
 * (a .safetensors file) the default preset or the one other preset whose weights it holds.
 * Models from Keras files start from the file's weights at compile().
 */
import { MNIST_IMAGE_SHAPE, MNIST_IMAGE_SIZE } from '../data/mnist.js';
import { readTfjsModel, readWeights, weightsFormat } from '../io/files.js';
import { loadModel } from '../io/keras-file/index.js';
import { presets } from '../nn/presets.js';
import { pixelRangeForModel, type PixelRange } from '../nn/pixel-range.js';
import type { Sequential } from '../nn/sequential.js';
import { UsageError } from './usage.js';

/**
 * The model for --load, and the file's weights checked against it, to write after compile
 * (none for a Keras file's own model: it starts from them at compile). A file that does not
 * fit the model is refused here, before any GPU work.
 */
export async function modelForFile(path: string, preset: string | undefined, defaultPreset: string): Promise<{ model: Sequential; weights?: Float32Array[] }> {
  const format = weightsFormat(path);
  if (preset === undefined && format === 'keras') return { model: await loadModel(path) };
  if (preset === undefined && format === 'tfjs') {
    const model = await readTfjsModel(path);
    return { model, weights: await readWeights(model, path) };
  }
  const model = presets[preset ?? defaultPreset]().model;
  try {
    return { model, weights: await readWeights(model, path) };
  } catch (err) {
    const fitting = await presetsFitting(path);
    // A weights file without an architecture and no --model: the one preset it fits is meant.
    if (preset === undefined && fitting.length === 1) {
      console.error(`note: ${path} holds ${fitting[0]}'s weights, so it is taken as --model ${fitting[0]}`);
      return modelForFile(path, fitting[0], defaultPreset);
    }
    throw withPresetHint(err, fitting);
  }
}

/** The presets whose weights (names and shapes) a weights file fits. */
export async function presetsFitting(path: string): Promise<string[]> {
  const fitting = [];
  for (const [name, preset] of Object.entries(presets)) {
    try {
      await readWeights(preset().model, path);
      fitting.push(name);
    } catch {
      // not this preset's weights
    }
  }
  return fitting;
}

/** A weights file that does not fit the model: the error, naming the presets it fits, if any (the --model probably meant). */
export function withPresetHint(err: unknown, fitting: readonly string[]): unknown {
  if (fitting.length === 0 || !(err instanceof Error)) return err;
  return new Error(`${err.message}; the file fits --model ${fitting.join(' and --model ')}`);
}

/**
 * The image shape the model's inputs have: its input shape, or for a flat-input model
 * (Dense on [784]) MNIST's [28, 28, 1], since NHWC images flattened are the same values in
 * the same order.
 */
export function imageShape(model: Sequential): number[] {
  const shape = model.inputShape;
  if (shape.length === 1 && shape[0] === MNIST_IMAGE_SIZE) return [...MNIST_IMAGE_SHAPE];
  // [28, 28] (Keras' Input((28, 28)) before a Flatten): one channel, the same values in the same order.
  return shape.length === 2 ? [...shape, 1] : shape;
}

/**
 * --pixel-range: 1 (pixels / 255) or 255 (raw pixels); auto or absent: the model's own
 * (pixelRangeForModel), with a note when that is 255.
 */
export function pixelRange(model: Sequential, value: string | undefined): PixelRange {
  if (value === '1' || value === '255') return Number(value) as PixelRange;
  if (value !== undefined && value !== 'auto') throw new UsageError(`--pixel-range must be auto, 1 or 255, got '${value}'`);
  const range = pixelRangeForModel(model);
  if (range === 255) console.error("note: the model opens with a Rescaling of raw pixels, so it is given pixels in [0, 255] (--pixel-range 1: pixels / 255, in [0, 1])");
  return range;
}

/** Checks that MNIST images fit the model (directly or flattened). */
export function checkMnistInput(model: Sequential): void {
  const shape = imageShape(model);
  if (!shape.every((d, i) => d === MNIST_IMAGE_SHAPE[i]) || shape.length !== 3) {
    throw new Error(`the model's input [${model.inputShape}] is neither MNIST's [28, 28, 1] nor flat [784]`);
  }
}
