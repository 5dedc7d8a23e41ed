/** `webgpu-dl predict`: the classes a trained model gives a PNG, an IDX images file or MNIST's test images. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { createDevice } from '../device/device.js';
import { loadMnist } from '../data/mnist.js';
import { parseIdx } from '../data/idx.js';
import { elements } from '../data/shape.js';
import { labelsFromOneHot } from '../data/batches.js';
import { decodePng, imageToInput } from '../io/png.js';
import { softmaxRef } from '../reference/softmax.js';
import { DEFAULT_TRAINING, parseOptions } from './help.js';
import { imageShape, modelForFile, pixelRange } from './model-file.js';
import { lossForModel } from '../nn/loss.js';
import { toPixelRange } from '../nn/pixel-range.js';
import { UsageError, adapterChoice, checkLoad, dataDir, positiveInt, tuningMode } from './usage.js';

export async function predict(argv: string[]): Promise<void> {
  const values = parseOptions(argv, ['load', 'input', 'model', 'limit', 'tuning', 'data', 'pixel-range'], ['invert']);
  if (!values) return; // --help
  const load = checkLoad('predict', values.load, values.model);
  const limit = positiveInt('limit', values.limit) ?? 10;
  const data = dataDir(values.data);
  if (data !== undefined && values.input !== undefined) throw new UsageError('--data and --input exclude each other: --data gives the test images of another dataset, --input your own images');
  const tuning = tuningMode(values.tuning ?? 'cached');
  const { model, weights } = await modelForFile(load, values.model, DEFAULT_TRAINING.model);
  const inputShape = imageShape(model);
  const range = pixelRange(model, values['pixel-range']);

  let images: Float32Array; // (n, ...inputShape)
  let labels: Uint8Array | undefined;
  let names: string[] | undefined; // the PNG files of a folder, in the order predicted
  if (values.input === undefined) {
    const mnist = await loadMnist({ limit: 1, testLimit: limit, dir: data });
    images = mnist.test.images;
    labels = mnist.test.labels;
  } else if (existsSync(values.input) && statSync(values.input).isDirectory()) {
    ({ images, names } = await readPngFolder(values.input, inputShape, limit, values.invert === true));
  } else {
    images = await readInput(values.input, inputShape, limit, values.invert === true);
  }
  toPixelRange(images, range);

  const device = await createDevice({ adapter: adapterChoice(), tuning });
  try {
    await model.compile({ device, optimizer: 'sgd', loss: lossForModel(model) });
    if (weights) model.setWeights(weights);
    const classes = model.outputShape[0];
    const output = await model.predict(images);
    // A model that outputs logits (a linear last layer): its probabilities are their softmax.
    const probabilities = model.trainingState().loss.fromLogits ? Float32Array.from(softmaxRef(output, output.length / classes, classes)) : output;
    const predicted = labelsFromOneHot(probabilities, classes);
    predicted.forEach((c, i) => {
      const label = labels ? ` (label ${labels[i]})` : names ? ` (${names[i]})` : '';
      console.log(`image ${i}: class ${c} probability ${probabilities[i * classes + c].toFixed(4)}${label}`);
    });
    if (labels) console.log(`correct: ${predicted.filter((c, i) => c === labels[i]).length} of ${predicted.length}`);
    model.dispose();
  } finally {
    device.destroy();
  }
}

/** Model inputs from a PNG (one image, inverted if asked) or an IDX images file (the first `limit`), pixels / 255. */
async function readInput(path: string, inputShape: number[], limit: number, invert: boolean): Promise<Float32Array> {
  if (!existsSync(path)) throw new UsageError(`--input: no file ${path}`);
  const bytes = new Uint8Array(await readFile(path));
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return pngInput(bytes, path, inputShape, invert);
  if (invert) throw new UsageError('--invert applies to PNG input only');
  // IDX files open with two zero bytes and a type byte (0x08: unsigned bytes).
  if (!(bytes.length >= 4 && bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08)) {
    throw new UsageError(`--input: ${path} is neither a PNG nor an IDX images file (it does not start with either's signature)`);
  }
  const idx = parseIdx(bytes, path, 'images');
  const [count, rows, cols] = idx.shape;
  const [height, width, channels] = inputShape;
  if (rows !== height || cols !== width || channels !== 1) {
    throw new Error(`${path}: ${rows}×${cols} grayscale images do not fit the model's input [${inputShape}]`);
  }
  const n = Math.min(count, limit);
  return Float32Array.from(idx.data.subarray(0, n * rows * cols), (v) => v / 255);
}

/** One PNG as a model input (inverted if asked), with a note when it looks dark on light and is not inverted. */
async function pngInput(bytes: Uint8Array, path: string, inputShape: number[], invert: boolean): Promise<Float32Array> {
  const input = imageToInput(await decodePng(bytes, path), inputShape, path);
  if (invert) return input.map((v) => 1 - v);
  const border = borderMean(input, inputShape);
  if (border > 0.5) console.error(`note: ${path} looks dark on light (its border averages ${border.toFixed(2)}; MNIST's digits are light on dark): add --invert to read it inverted`);
  return input;
}

/** The first `limit` PNG files of a folder, by name, as model inputs (n, ...inputShape). */
async function readPngFolder(folder: string, inputShape: number[], limit: number, invert: boolean): Promise<{ images: Float32Array; names: string[] }> {
  const names = readdirSync(folder).filter((name) => name.toLowerCase().endsWith('.png')).sort().slice(0, limit);
  if (names.length === 0) throw new UsageError(`--input: the folder ${folder} holds no .png files`);
  const perImage = elements(inputShape);
  const images = new Float32Array(names.length * perImage);
  for (const [i, name] of names.entries()) images.set(await pngInput(new Uint8Array(await readFile(join(folder, name))), join(folder, name), inputShape, invert), i * perImage);
  return { images, names };
}

/** The mean of an image's outermost pixels, (height, width, channels) values in [0, 1]: its background, for a centred digit. */
function borderMean(input: Float32Array, [height, width, channels]: number[]): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y > 0 && y < height - 1 && x > 0 && x < width - 1) continue;
      for (let c = 0; c < channels; c++) sum += input[(y * width + x) * channels + c];
      count += channels;
    }
  }
  return sum / count;
}

