/** `webgpu-dl predict`: the classes a trained model gives a PNG, an IDX images file or MNIST's test images. */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createDevice } from '../device/device.js';
import { loadMnist } from '../data/mnist.js';
import { parseIdx } from '../data/idx.js';
import { labelsFromOneHot } from '../data/batches.js';
import { decodePng, imageToInput } from '../io/png.js';
import { DEFAULT_TRAINING, parseOptions } from './help.js';
import { imageShape, modelForFile } from './model-file.js';
import { UsageError, adapterChoice, checkLoad, positiveInt, tuningMode } from './usage.js';

export async function predict(argv: string[]): Promise<void> {
  const values = parseOptions(argv, ['load', 'input', 'model', 'limit', 'tuning']);
  if (!values) return; // --help
  const load = checkLoad('predict', values.load, values.model);
  const limit = positiveInt('limit', values.limit) ?? 10;
  const tuning = tuningMode(values.tuning ?? 'cached');
  const { model, weights } = await modelForFile(load, values.model, DEFAULT_TRAINING.model);
  const inputShape = imageShape(model);

  let images: Float32Array; // (n, ...inputShape)
  let labels: Uint8Array | undefined;
  if (values.input === undefined) {
    const mnist = await loadMnist({ limit: 1, testLimit: limit });
    images = mnist.test.images;
    labels = mnist.test.labels;
  } else {
    images = await readInput(values.input, inputShape, limit);
  }

  const device = await createDevice({ adapter: adapterChoice(), tuning });
  try {
    await model.compile({ device, optimizer: 'sgd' });
    if (weights) model.setWeights(weights);
    const classes = model.outputShape[0];
    const probabilities = await model.predict(images);
    const predicted = labelsFromOneHot(probabilities, classes);
    predicted.forEach((c, i) => {
      const label = labels ? ` (label ${labels[i]})` : '';
      console.log(`image ${i}: class ${c} probability ${probabilities[i * classes + c].toFixed(4)}${label}`);
    });
    if (labels) console.log(`correct: ${predicted.filter((c, i) => c === labels[i]).length} of ${predicted.length}`);
    model.dispose();
  } finally {
    device.destroy();
  }
}

/** Model inputs from a PNG (one image) or an IDX images file (the first `limit`), pixels / 255. */
async function readInput(path: string, inputShape: number[], limit: number): Promise<Float32Array> {
  if (!existsSync(path)) throw new UsageError(`--input: no file ${path}`);
  if (statSync(path).isDirectory()) throw new UsageError(`--input: ${path} is a folder, not an image or IDX file`);
  const bytes = new Uint8Array(await readFile(path));
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return imageToInput(await decodePng(bytes, path), inputShape, path);
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
