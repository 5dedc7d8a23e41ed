/**
 * Over 350 lines: the help text and the three commands it describes read best side by side
 * (argument checks live in usage.ts, model files in model-file.ts, run records in record.ts,
 * validation choices in validation.ts). The `webgpu-dl` command:
 *   webgpu-dl train [--model NAME] [--epochs N] [--batch-size B] [--optimizer NAME]
 *                   [--learning-rate X] [--lr-schedule S] [--limit N] [--test-limit N]
 *                   [--save FILE] [--load FILE] [--seed S] [--checkpoint FILE]
 *                   [--checkpoint-every STEPS|Nmin] [--resume FILE] [--tuning MODE]
 *                   [--validation-data D] [--record FILE.json]
 *   webgpu-dl predict --load FILE [--input image.png|images.idx] [--model NAME] [--limit N]
 *                     [--tuning MODE]
 *   webgpu-dl evaluate --load FILE [--model NAME] [--limit N] [--batch-size B] [--tuning MODE]
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createDevice, type Device } from '../device/device.js';
import { loadMnist } from '../data/mnist.js';
import { parseIdx } from '../data/idx.js';
import { labelsFromOneHot } from '../data/batches.js';
import { presets, presetNames } from '../nn/presets.js';
import { optimizers, resolveOptimizer, withDefaults, type OptimizerConfig, type OptimizerKind } from '../nn/optimizers.js';
import { checkWritablePath, loadCheckpoint, readWeights, saveWeights, weightsFormat } from '../io/files.js';
import type { CheckpointInfo } from '../io/checkpoint.js';
import { modelCheckpoint } from '../io/model-checkpoint.js';
import type { Callback } from '../nn/fit.js';
import { cosineDecay } from '../nn/learning-rate.js';
import { loadModel } from '../io/keras-file/index.js';
import { decodePng, imageToInput } from '../io/png.js';
import { Interrupted, stopOnSignals } from './interrupt.js';
import { ProgressReporter } from './progress.js';
import { checkMnistInput, imageShape, modelForFile } from './model-file.js';
import { RunRecorder } from './record.js';
import { UsageError, adapterChoice, checkLoad, checkpointEvery, lrSchedule, positiveInt, tuningMode, type LearningRateSchedule } from './usage.js';
import { validationChoice, validationCounts, validationFitArgs, validationText, DEFAULT_VALIDATION_SPLIT } from './validation.js';

/**
 * What `npm start` trains: the smallest seed model, one epoch of batch 64 with Adam at 0.002
 * decaying by cosine to 0. With Adam's constant 0.001 one epoch ended anywhere between .9685
 * and .9833 test accuracy over seeds 1-3 here (the rate is still high when the epoch stops);
 * the decay settles it (README: the measured runs).
 */
export const DEFAULT_TRAINING = {
  model: 'mnist-conv3',
  optimizer: 'adam' as OptimizerKind,
  learningRate: 0.002,
  schedule: 'cosine' as LearningRateSchedule,
  epochs: 1,
  batchSize: 64,
};

const HELP = `webgpu-dl — train Keras-style MNIST CNNs on WebGPU (Dawn in Node)

Usage:
  webgpu-dl train [options]     train a preset model on MNIST and report test accuracy
  webgpu-dl predict [options]   print the classes a trained model predicts
  webgpu-dl evaluate [options]  test a trained model (e.g. a Keras .keras or .h5 file) on MNIST
  webgpu-dl --help              this text

Train options:
  --model NAME          ${presetNames.join(', ')} (default ${DEFAULT_TRAINING.model})
  --epochs N            epochs (default: ${DEFAULT_TRAINING.epochs} for the default model, else the preset's)
  --batch-size B        batch size (default: ${DEFAULT_TRAINING.batchSize} for the default model, else the preset's)
  --optimizer NAME      sgd, adam, adadelta, rmsprop, adagrad (default: the preset's;
                        ${DEFAULT_TRAINING.optimizer} for the default model)
  --learning-rate X     learning rate (default: the optimizer's Keras default or the preset's;
                        ${DEFAULT_TRAINING.learningRate} for the default model with ${DEFAULT_TRAINING.optimizer})
  --lr-schedule S       constant, or cosine: the rate falls from --learning-rate to 0 over the
                        run's steps (Keras' CosineDecay); default: ${DEFAULT_TRAINING.schedule} for the default
                        model, else constant
  --limit N             train on the first N training images only
  --test-limit N        evaluate on the first N test images only
  --save FILE           write the trained weights: FILE.safetensors (safetensors),
                        FILE.json (TF.js model.json, with .bin shards beside it) or
                        FILE.keras (Keras 3 model file: architecture, weights, optimizer)
  --load FILE           start from these weights (.safetensors, TF.js .json, Keras .keras or
                        .h5); a Keras file brings its architecture and, unless --optimizer or
                        --learning-rate is given, its optimizer with its state
  --seed S              seed for initial weights, shuffling and dropout (default 1)
  --checkpoint FILE     write a checkpoint (weights, optimizer state, epoch) every epoch, and
                        when Ctrl-C or SIGTERM stops training (exit code 130 or 143; a second
                        Ctrl-C quits at once, without it)
  --checkpoint-every STEPS|Nmin
                        with --checkpoint: also write it within an epoch, after every STEPS
                        batches (e.g. 100) or every N minutes (e.g. 10min), so that an
                        interrupted run repeats at most that much
  --resume FILE         continue the run a checkpoint saved (same --model, --optimizer, --seed,
                        --batch-size, --limit), at the batch it was saved after
  --tuning MODE         how kernels are chosen per shape (the matmul's, the max pool backward's,
                        im2col or Winograd for 3×3 convs): measure (default: time the
                        candidates on this adapter once, then use the cache), cached (use the
                        cache, time nothing), off (the default kernel per adapter class)
  --validation-data D   split (hold out the preset's share of the training images, else ${DEFAULT_VALIDATION_SPLIT * 100}%),
                        test (train on all, validate on the test images, as Keras' mnist_cnn log
                        did) or none; default: split for mnist-conv3, none for the other presets
  --record FILE.json    record the run (command, commit, adapter, wall time, per-epoch and test
                        figures) in FILE.json and FILE.md after every epoch, 'partial' until
                        done; with --resume, the resumed run's record is continued

Predict options:
  --load FILE           the weights (required): .safetensors, a TF.js model.json, or a
                        Keras .keras or .h5 file; the last three bring their architecture,
                        used unless --model is given
  --model NAME          the preset the weights belong to (default for .safetensors:
                        ${DEFAULT_TRAINING.model})
  --input FILE          an 8-bit grayscale or RGB PNG of the model's input size, or an IDX
                        images file (MNIST's format); default: the MNIST test images
  --limit N             predict the first N images of an IDX file or MNIST (default 10)
  --tuning MODE         as for train; default cached: the kernels train chose on this adapter
                        (the default kernel where it chose none), timing nothing

Evaluate options:
  --load FILE           the model (required), as for predict
  --model NAME          the preset the weights belong to (default for .safetensors:
                        ${DEFAULT_TRAINING.model})
  --limit N             test on the first N MNIST test images (default all 10,000)
  --batch-size B        batch size (default 100)
  --tuning MODE         as for predict (default cached)

Environment:
  WEBGPU_DL_ADAPTER     auto (default), hardware or software (SwiftShader)
  WEBGPU_DL_CACHE_DIR   where --tuning keeps kernel-choices.json (default
                        $XDG_CACHE_HOME/webgpu-dl, else ~/.cache/webgpu-dl)

train and evaluate print 'test: loss <number> accuracy <number>' as their last line.`;

/**
 * What kernel tuning did while the training and test steps were compiled: a second run on this
 * machine times nothing.
 */
function tuningLine(device: Device): string {
  const c = device.kernelChoices;
  if (c.mode === 'off') return 'kernel tuning: off (default kernels per adapter class)';
  return `kernel tuning (${c.mode}): ${c.timed} candidate(s) timed, ${c.cacheHits} choice(s) from the cache ${c.where ?? '(none)'}`;
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
      'lr-schedule': { type: 'string' },
      limit: { type: 'string' },
      'test-limit': { type: 'string' },
      save: { type: 'string' },
      load: { type: 'string' },
      seed: { type: 'string' },
      checkpoint: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      resume: { type: 'string' },
      'validation-data': { type: 'string' },
      record: { type: 'string' },
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
  if (values.save?.endsWith('.h5')) throw new UsageError(`--save: ${values.save}: Keras files are written as .keras (Keras 3's format); .h5 is read only`);
  if (values.load && values.resume) throw new UsageError('--load and --resume exclude each other: a checkpoint holds the weights');
  const every = checkpointEvery(values['checkpoint-every']);
  if (every !== undefined && values.checkpoint === undefined) throw new UsageError('--checkpoint-every needs --checkpoint FILE (where to write)');
  for (const option of ['save', 'checkpoint'] as const) {
    const path = values[option];
    if (path === undefined) continue;
    try {
      await checkWritablePath(path, `--${option}`);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  for (const option of ['load', 'resume'] as const) {
    const path = values[option];
    if (path !== undefined && !existsSync(path)) throw new UsageError(`--${option}: no file ${path}`);
  }
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

  // A Keras file brings its architecture (and its optimizer, unless one is asked for).
  const fromFile = values.load && values.model === undefined && weightsFormat(values.load) === 'keras' ? await loadModel(values.load) : undefined;
  const keepFileOptimizer = fromFile?.initialState?.optimizer !== undefined && values.optimizer === undefined && values['learning-rate'] === undefined;
  let optimizer: OptimizerConfig = preset.optimizer;
  const kind = values.optimizer ?? (isDefault ? DEFAULT_TRAINING.optimizer : undefined);
  if (kind !== undefined) {
    if (!(kind in optimizers)) throw new UsageError(`unknown optimizer '${kind}' (choose from ${Object.keys(optimizers).join(', ')})`);
    optimizer = { kind: kind as OptimizerKind };
    if (isDefault && kind === DEFAULT_TRAINING.optimizer) optimizer.learningRate = DEFAULT_TRAINING.learningRate;
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
  const schedule: LearningRateSchedule = values['lr-schedule'] !== undefined ? lrSchedule(values['lr-schedule']) : isDefault && !fromFile ? DEFAULT_TRAINING.schedule : 'constant';
  const validation = validationChoice(values['validation-data'], preset.fit.validationSplit);
  const record = values.record === undefined ? undefined : RunRecorder.open(values.record, argv, values.resume !== undefined, every);

  const model = fromFile ?? preset.model;
  checkMnistInput(model);
  // Weights to start from, checked against the model before any GPU work (a Keras file's come with it).
  const startWeights = values.load && !fromFile ? await readWeights(model, values.load) : undefined;

  const device = await createDevice({ adapter: adapterChoice(), tuning: tuningMode(values.tuning ?? 'measure') });
  const a = device.adapter;
  const adapterText = `${a.description || a.device} (${a.vendor} ${a.architecture}, ${a.software ? 'software' : 'hardware'})`;
  console.log(`adapter: ${adapterText}`);

  const mnist = await loadMnist({ limit, testLimit });
  await model.compile({ device, optimizer: keepFileOptimizer ? undefined : optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'], seed });
  optimizer = model.trainingState().optimizer.config;
  console.log(model.summary());
  if (fromFile) console.log(`model, weights${keepFileOptimizer ? ' and optimizer state' : ''} loaded from ${values.load}`);
  else if (startWeights) {
    model.setWeights(startWeights);
    console.log(`weights loaded from ${values.load}`);
  }
  let resumed: CheckpointInfo | undefined;
  if (values.resume) {
    resumed = await loadCheckpoint(model, values.resume);
    const where = resumed.batch ? `batch ${resumed.batch} of epoch ${resumed.epoch + 1}` : `epoch ${resumed.epoch}`;
    console.log(`resuming from ${values.resume} after ${where}`);
  }
  // A checkpoint past the epochs asked for: nothing to train (fit returns at once).
  const resumeFrom = resumed && resumed.epoch < epochs ? resumed : undefined;
  const initialEpoch = resumeFrom?.epoch ?? Math.min(resumed?.epoch ?? 0, epochs);
  const learningRate = withDefaults(optimizer).learningRate;
  // Cosine decay over every step of the run (Keras' CosineDecay with decay_steps = epochs × batches).
  const decaySteps = epochs * Math.ceil(validationCounts(validation, mnist).train / batchSize);
  const decay = schedule === 'cosine' && decaySteps > 0 ? cosineDecay({ initialLearningRate: learningRate, decaySteps }) : undefined;
  console.log(
    `training ${fromFile ? values.load : name}: ${mnist.train.count} images${validationText(validation, mnist)}, ` +
      `${epochs} epoch(s), batch ${batchSize}, ${optimizer.kind} learning rate ${learningRate}` +
      (decay ? `, cosine decay to 0 over ${decaySteps} steps` : ''),
  );
  const settings = { model: fromFile ? values.load! : name, optimizer: withDefaults(optimizer), ...(decay ? { lrSchedule: 'cosine' as const } : {}), epochs, batchSize, seed, validation: validation.source, validationSplit: validation.split, limit, testLimit, load: values.load };
  await record?.begin(settings, adapterText, { epoch: initialEpoch, batch: resumeFrom?.batch ?? 0, epochSeconds: resumeFrom?.epochSeconds ?? 0 }, { ...validationCounts(validation, mnist), test: mnist.test.count });

  const progress = new ProgressReporter(process.stdout);
  // With a checkpoint to write, Ctrl-C and SIGTERM stop training where it can resume (interrupt.ts).
  const stop = values.checkpoint ? stopOnSignals() : undefined;
  let stoppedAfter: string | undefined; // the point the last checkpoint holds, once one is written
  const trackStop: Callback = {
    onBatchEnd: (epoch, batch, where) => {
      if (where.stopping) stoppedAfter = `batch ${batch + 1} of ${where.batches} in epoch ${epoch + 1}`;
    },
    onEpochEnd: (epoch) => {
      stoppedAfter = `the end of epoch ${epoch + 1}`;
    },
  };
  try {
    await model.fit(mnist.train.images, mnist.train.labels, {
      batchSize,
      epochs,
      ...validationFitArgs(validation, mnist),
      verbose: 0,
      ...(resumeFrom ? { resumeFrom } : { initialEpoch }),
      callbacks: [
        {
          onEpochBegin: (epoch) => progress.epochBegin(epoch, epochs),
          onProgress: (p) => progress.update(p),
          onEpochEnd: (epoch, logs) => {
            const val = logs.val_loss === undefined ? '' : ` - val_loss: ${logs.val_loss.toFixed(4)} - val_accuracy: ${logs.val_accuracy!.toFixed(4)}`;
            progress.epochEnd(`epoch ${epoch + 1}: loss: ${logs.loss.toFixed(4)} - accuracy: ${logs.accuracy.toFixed(4)}${val}`);
          },
        },
        // The rate before the checkpoint, so that a checkpoint holds the next step's rate.
        ...(decay ? [decay] : []),
        // The record before the checkpoint: resumed, it drops epochs past the checkpoint (record.ts).
        ...(record ? [record] : []),
        ...(values.checkpoint ? [modelCheckpoint(values.checkpoint, { saveFreq: every ?? 'epoch' }), trackStop] : []),
      ],
      signal: stop?.signal,
    });
  } catch (err) {
    if (err instanceof Interrupted) {
      err.message = stoppedAfter
        ? `training stopped by ${err.signal} after ${stoppedAfter}; ${values.checkpoint} holds that point: run the same command with --resume ${values.checkpoint} to go on`
        : `training stopped by ${err.signal} before a batch ended: nothing new to save`;
    }
    throw err;
  } finally {
    stop?.dispose();
  }

  if (values.save) {
    await saveWeights(model, values.save);
    console.log(`weights saved to ${values.save}`);
  }
  const test = await model.evaluate(mnist.test.images, mnist.test.labels, { batchSize: Math.max(batchSize, 100) });
  await record?.finish(test);
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
      tuning: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
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

async function evaluate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      load: { type: 'string' },
      model: { type: 'string' },
      limit: { type: 'string' },
      'batch-size': { type: 'string' },
      tuning: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const load = checkLoad('evaluate', values.load, values.model);
  const limit = positiveInt('limit', values.limit);
  const batchSize = positiveInt('batch-size', values['batch-size']) ?? 100;
  const tuning = tuningMode(values.tuning ?? 'cached');
  const { model, weights } = await modelForFile(load, values.model, DEFAULT_TRAINING.model);
  checkMnistInput(model);
  const mnist = await loadMnist({ limit: 1, testLimit: limit });

  const device = await createDevice({ adapter: adapterChoice(), tuning });
  try {
    await model.compile({ device, optimizer: 'sgd' }); // evaluation takes no step: any optimizer does
    if (weights) model.setWeights(weights);
    console.log(model.summary());
    const test = await model.evaluate(mnist.test.images, mnist.test.labels, { batchSize });
    console.log(`evaluated ${load} on ${mnist.test.count} MNIST test images`);
    console.log(tuningLine(device));
    console.log(`test: loss ${test.loss.toFixed(4)} accuracy ${test.accuracy.toFixed(4)}`);
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
    if (command === 'evaluate') {
      await evaluate(rest);
      return 0;
    }
    throw new UsageError(`unknown command '${command}'`);
  } catch (err) {
    if (err instanceof Interrupted) {
      console.error(`webgpu-dl: ${err.message}`);
      return err.exitCode;
    }
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`webgpu-dl: ${(err as Error).message}\nRun 'webgpu-dl --help' for usage.`);
      return 2;
    }
    console.error(`webgpu-dl: ${(err as Error).message}`);
    return 1;
  }
}
