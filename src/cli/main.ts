/**
 * The `webgpu-dl` command.
 *   webgpu-dl train [--model NAME] [--epochs N] [--batch-size B] [--optimizer NAME]
 *                   [--learning-rate X] [--limit N] [--save FILE] [--load FILE] [--seed S]
 *                   [--checkpoint FILE] [--resume FILE] [--tuning MODE]
 *   webgpu-dl predict --load FILE [--input image.png|images.idx] [--model NAME] [--limit N]
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createDevice, type Device } from '../device/device.js';
import { TUNING_MODES, type TuningMode } from '../device/kernel-choices.js';
import type { AdapterChoice } from '../device/adapter.js';
import { loadMnist } from '../data/mnist.js';
import { parseIdx } from '../data/idx.js';
import { labelsFromOneHot } from '../data/batches.js';
import { presets, presetNames } from '../nn/presets.js';
import type { Sequential } from '../nn/sequential.js';
import { optimizers, resolveOptimizer, withDefaults, type OptimizerConfig, type OptimizerKind } from '../nn/optimizers.js';
import { loadCheckpoint, loadWeights, readTfjsModel, saveWeights, weightsFormat } from '../io/files.js';
import { modelCheckpoint } from '../io/model-checkpoint.js';
import { decodePng, imageToInput } from '../io/png.js';
import { ProgressReporter } from './progress.js';

/**
 * What `npm start` trains: the smallest seed model with Adam, two epochs. One epoch reached
 * 97.5% test accuracy here; two are needed for 98% (see the README for the measured run).
 */
export const DEFAULT_TRAINING = { model: 'mnist-conv3', optimizer: 'adam' as OptimizerKind, epochs: 2, batchSize: 64 };

const HELP = `webgpu-dl — train Keras-style MNIST CNNs on WebGPU (Dawn in Node)

Usage:
  webgpu-dl train [options]     train a preset model on MNIST and report test accuracy
  webgpu-dl predict [options]   print the classes a trained model predicts
  webgpu-dl --help              this text

Train options:
  --model NAME          ${presetNames.join(', ')} (default ${DEFAULT_TRAINING.model})
  --epochs N            epochs (default: ${DEFAULT_TRAINING.epochs} for the default model, else the preset's)
  --batch-size B        batch size (default: ${DEFAULT_TRAINING.batchSize} for the default model, else the preset's)
  --optimizer NAME      sgd, adam, adadelta, rmsprop, adagrad (default: the preset's;
                        ${DEFAULT_TRAINING.optimizer} for the default model)
  --learning-rate X     learning rate (default: the optimizer's Keras default or the preset's)
  --limit N             train on the first N training images only
  --test-limit N        evaluate on the first N test images only
  --save FILE           write the trained weights: FILE.safetensors (safetensors) or
                        FILE.json (TF.js model.json, with .bin shards beside it)
  --load FILE           start from these weights (.safetensors or TF.js .json)
  --seed S              seed for initial weights, shuffling and dropout (default 1)
  --checkpoint FILE     write a checkpoint (weights, optimizer state, epoch) every epoch
  --resume FILE         continue the run a checkpoint saved (same --model, --optimizer, --seed)
  --tuning MODE         how the matmul kernel is chosen per shape: measure (default: time the
                        candidates on this adapter once, then use the cache), cached (use the
                        cache, time nothing), off (the default kernel per adapter class)

Predict options:
  --load FILE           the weights (required): .safetensors, or a TF.js model.json, whose
                        architecture is used unless --model is given
  --model NAME          the preset the weights belong to (default ${DEFAULT_TRAINING.model})
  --input FILE          an 8-bit grayscale or RGB PNG of the model's input size, or an IDX
                        images file (MNIST's format); default: the MNIST test images
  --limit N             predict the first N images of an IDX file or MNIST (default 10)

Environment:
  WEBGPU_DL_ADAPTER     auto (default), hardware or software (SwiftShader)
  WEBGPU_DL_CACHE_DIR   where --tuning keeps kernel-choices.json (default
                        $XDG_CACHE_HOME/webgpu-dl, else ~/.cache/webgpu-dl)

The last line printed is 'test: loss <number> accuracy <number>'.`;

class UsageError extends Error {}

function tuningMode(value: string): TuningMode {
  if (!(TUNING_MODES as readonly string[]).includes(value)) throw new UsageError(`--tuning must be one of ${TUNING_MODES.join(', ')}, got '${value}'`);
  return value as TuningMode;
}

/**
 * What kernel tuning did while the training and test steps were compiled: a second run on this
 * machine times nothing.
 */
function tuningLine(device: Device): string {
  const c = device.kernelChoices;
  if (c.mode === 'off') return 'kernel tuning: off (default kernels per adapter class)';
  return `kernel tuning (${c.mode}): ${c.timed} candidate(s) timed, ${c.cacheHits} choice(s) from the cache ${c.where ?? '(none)'}`;
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

async function train(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      epochs: { type: 'string' },
      'batch-size': { type: 'string' },
      optimizer: { type: 'string' },
      'learning-rate': { type: 'string' },
      limit: { type: 'string' },
      'test-limit': { type: 'string' },
      save: { type: 'string' },
      load: { type: 'string' },
      seed: { type: 'string' },
      checkpoint: { type: 'string' },
      resume: { type: 'string' },
      tuning: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  // Refuse a file name of no known format before training, not after.
  for (const option of ['save', 'load'] as const) {
    const path = values[option];
    if (path === undefined) continue;
    try {
      weightsFormat(path);
    } catch (err) {
      throw new UsageError(`--${option}: ${(err as Error).message}`);
    }
  }
  if (values.load && values.resume) throw new UsageError('--load and --resume exclude each other: a checkpoint holds the weights');
  const name = values.model ?? DEFAULT_TRAINING.model;
  if (!presets[name]) throw new UsageError(`unknown model '${name}' (choose from ${presetNames.join(', ')})`);
  const isDefault = values.model === undefined;
  const preset = presets[name]();
  const epochs = values.epochs === '0' ? 0 : positiveInt('epochs', values.epochs) ?? (isDefault ? DEFAULT_TRAINING.epochs : preset.fit.epochs);
  const batchSize = positiveInt('batch-size', values['batch-size']) ?? (isDefault ? DEFAULT_TRAINING.batchSize : preset.fit.batchSize);
  const limit = positiveInt('limit', values.limit);
  const testLimit = positiveInt('test-limit', values['test-limit']);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${values.seed}'`);

  let optimizer: OptimizerConfig = preset.optimizer;
  const kind = values.optimizer ?? (isDefault ? DEFAULT_TRAINING.optimizer : undefined);
  if (kind !== undefined) {
    if (!(kind in optimizers)) throw new UsageError(`unknown optimizer '${kind}' (choose from ${Object.keys(optimizers).join(', ')})`);
    optimizer = { kind: kind as OptimizerKind };
  }
  if (values['learning-rate'] !== undefined) {
    const rate = Number(values['learning-rate']);
    if (!(Number.isFinite(rate) && rate > 0)) throw new UsageError(`--learning-rate must be a positive number, got '${values['learning-rate']}'`);
    optimizer = { ...optimizer, learningRate: rate };
  }
  try {
    optimizer = resolveOptimizer(optimizer);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }

  const adapter = (process.env.WEBGPU_DL_ADAPTER ?? 'auto') as AdapterChoice;
  if (!['auto', 'hardware', 'software'].includes(adapter)) throw new UsageError(`WEBGPU_DL_ADAPTER must be auto, hardware or software, got '${adapter}'`);
  const tuning = tuningMode(values.tuning ?? 'measure');
  const device = await createDevice({ adapter, tuning });
  const a = device.adapter;
  console.log(`adapter: ${a.description || a.device} (${a.vendor} ${a.architecture}, ${a.software ? 'software' : 'hardware'})`);

  const mnist = await loadMnist({ limit, testLimit });
  const { model } = preset;
  await model.compile({ device, optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'], seed });
  console.log(model.summary());
  if (values.load) {
    await loadWeights(model, values.load);
    console.log(`weights loaded from ${values.load}`);
  }
  let initialEpoch = 0;
  if (values.resume) {
    initialEpoch = (await loadCheckpoint(model, values.resume)).epoch;
    console.log(`resuming from ${values.resume} after epoch ${initialEpoch}`);
  }
  const split = preset.fit.validationSplit;
  console.log(
    `training ${name}: ${mnist.train.count} images${split ? ` (${Math.round(split * 100)}% held out for validation)` : ''}, ` +
      `${epochs} epoch(s), batch ${batchSize}, ${optimizer.kind} learning rate ${withDefaults(optimizer).learningRate}`,
  );

  const progress = new ProgressReporter(process.stdout);
  await model.fit(mnist.train.images, mnist.train.labels, {
    batchSize,
    epochs,
    validationSplit: split,
    verbose: 0,
    initialEpoch: Math.min(initialEpoch, epochs),
    callbacks: [
      {
        onEpochBegin: (epoch) => progress.epochBegin(epoch, epochs),
        onProgress: (p) => progress.update(p),
        onEpochEnd: (epoch, logs) => {
          const val = logs.val_loss === undefined ? '' : ` - val_loss: ${logs.val_loss.toFixed(4)} - val_accuracy: ${logs.val_accuracy!.toFixed(4)}`;
          progress.epochEnd(`epoch ${epoch + 1}: loss: ${logs.loss.toFixed(4)} - accuracy: ${logs.accuracy.toFixed(4)}${val}`);
        },
      },
      ...(values.checkpoint ? [modelCheckpoint(values.checkpoint)] : []),
    ],
  });

  if (values.save) {
    await saveWeights(model, values.save);
    console.log(`weights saved to ${values.save}`);
  }
  const test = await model.evaluate(mnist.test.images, mnist.test.labels, { batchSize: Math.max(batchSize, 100) });
  console.log(tuningLine(device));
  console.log(`test: loss ${test.loss.toFixed(4)} accuracy ${test.accuracy.toFixed(4)}`);
  model.dispose();
  device.destroy();
}

async function predict(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      load: { type: 'string' },
      input: { type: 'string' },
      model: { type: 'string' },
      limit: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  if (!values.load) throw new UsageError('predict needs --load FILE (the trained weights)');
  let format;
  try {
    format = weightsFormat(values.load);
  } catch (err) {
    throw new UsageError(`--load: ${(err as Error).message}`);
  }
  if (values.model !== undefined && !presets[values.model]) throw new UsageError(`unknown model '${values.model}' (choose from ${presetNames.join(', ')})`);
  const limit = positiveInt('limit', values.limit) ?? 10;
  // The architecture: the preset named, else a TF.js model.json's own, else the default preset.
  let model: Sequential;
  if (values.model === undefined && format === 'tfjs') model = await readTfjsModel(values.load);
  else model = presets[values.model ?? DEFAULT_TRAINING.model]().model;
  const inputShape = model.inputShape;

  let images: Float32Array; // (n, ...inputShape)
  let labels: Uint8Array | undefined;
  if (values.input === undefined) {
    const mnist = await loadMnist({ limit: 1, testLimit: limit });
    images = mnist.test.images;
    labels = mnist.test.labels;
  } else {
    images = await readInput(values.input, inputShape, limit);
  }

  const adapter = (process.env.WEBGPU_DL_ADAPTER ?? 'auto') as AdapterChoice;
  if (!['auto', 'hardware', 'software'].includes(adapter)) throw new UsageError(`WEBGPU_DL_ADAPTER must be auto, hardware or software, got '${adapter}'`);
  const device = await createDevice({ adapter });
  try {
    await model.compile({ device, optimizer: 'sgd' });
    await loadWeights(model, values.load);
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
  const bytes = new Uint8Array(await readFile(path));
  if (bytes[0] === 0x89 && bytes[1] === 0x50) return imageToInput(await decodePng(bytes, path), inputShape, path);
  const idx = parseIdx(bytes, path, 'images');
  const [count, rows, cols] = idx.shape;
  const [height, width, channels] = inputShape;
  if (rows !== height || cols !== width || channels !== 1) {
    throw new Error(`${path}: ${rows}×${cols} grayscale images do not fit the model's input [${inputShape}]`);
  }
  const n = Math.min(count, limit);
  return Float32Array.from(idx.data.subarray(0, n * rows * cols), (v) => v / 255);
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      console.log(HELP);
      return command === undefined ? 2 : 0;
    }
    if (command === 'train') {
      await train(rest);
      return 0;
    }
    if (command === 'predict') {
      await predict(rest);
      return 0;
    }
    throw new UsageError(`unknown command '${command}'`);
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`webgpu-dl: ${(err as Error).message}\nRun 'webgpu-dl --help' for usage.`);
      return 2;
    }
    console.error(`webgpu-dl: ${(err as Error).message}`);
    return 1;
  }
}
