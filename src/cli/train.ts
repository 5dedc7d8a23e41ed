/**
 * `webgpu-dl train`: a preset (or a Keras file's model) trained on MNIST, with checkpoints,
 * resume, a run record and per-epoch validation, ending with its test line.
 */
import { existsSync } from 'node:fs';
import { createDevice } from '../device/device.js';
import { loadMnist } from '../data/mnist.js';
import { presets, presetNames } from '../nn/presets.js';
import { optimizers, resolveOptimizer, withDefaults, type OptimizerConfig, type OptimizerKind } from '../nn/optimizers.js';
import { checkWritablePath, loadCheckpoint, readWeights, saveWeights, weightsFormat } from '../io/files.js';
import type { CheckpointInfo } from '../io/checkpoint.js';
import { modelCheckpoint } from '../io/model-checkpoint.js';
import type { Callback } from '../nn/fit.js';
import { cosineDecay } from '../nn/learning-rate.js';
import { loadModel } from '../io/keras-file/index.js';
import { DEFAULT_TRAINING, parseOptions } from './help.js';
import { Interrupted, stopOnSignals } from './interrupt.js';
import { ProgressReporter } from './progress.js';
import { checkMnistInput, pixelRange, presetsFitting, withPresetHint } from './model-file.js';
import { toPixelRange } from '../nn/pixel-range.js';
import { checkLossSpec, lossForModel, type LossSpec } from '../nn/loss.js';
import type { Sequential } from '../nn/sequential.js';
import { RunRecorder } from './record.js';
import { testLine, tuningLine } from './report.js';
import { UsageError, adapterChoice, dataDir, checkpointEvery, lrSchedule, positiveInt, tuningMode, type LearningRateSchedule } from './usage.js';
import { validationChoice, validationCounts, validationFitArgs, validationText } from './validation.js';

/** The gradient clipping flags and the optimizer options they set (Keras' clipnorm, clipvalue, global_clipnorm). */
const CLIP_FLAGS = [['clip-norm', 'clipNorm'], ['clip-value', 'clipValue'], ['global-clip-norm', 'globalClipNorm']] as const;

export async function train(argv: string[]): Promise<void> {
  const values = parseOptions(argv, ['model', 'epochs', 'batch-size', 'optimizer', 'learning-rate', 'lr-schedule', 'limit', 'test-limit', 'save', 'load', 'seed', 'checkpoint', 'checkpoint-every', 'resume', 'validation-data', 'record', 'tuning', 'data', 'pixel-range', 'weight-decay', 'label-smoothing', 'clip-norm', 'clip-value', 'global-clip-norm']);
  if (!values) return; // --help
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
  const data = dataDir(values.data);
  const testLimit = positiveInt('test-limit', values['test-limit']);
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed must be a non-negative integer, got '${values.seed}'`);

  // A Keras file brings its architecture (and its optimizer, unless one is asked for).
  const fromFile = values.load && values.model === undefined && weightsFormat(values.load) === 'keras' ? await loadModel(values.load) : undefined;
  const keepFileOptimizer = fromFile?.initialState?.optimizer !== undefined && values.optimizer === undefined && values['learning-rate'] === undefined && values['weight-decay'] === undefined && CLIP_FLAGS.every(([flag]) => values[flag] === undefined);
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
  if (values['weight-decay'] !== undefined) {
    const decay = Number(values['weight-decay']);
    if (!(Number.isFinite(decay) && decay >= 0)) throw new UsageError(`--weight-decay must be a number ≥ 0, got '${values['weight-decay']}'`);
    optimizer = { ...optimizer, weightDecay: decay };
  }
  const clipFlags = CLIP_FLAGS.filter(([flag]) => values[flag] !== undefined);
  if (clipFlags.length > 1) throw new UsageError(`give one of --clip-norm, --clip-value and --global-clip-norm (Keras allows one clipping), got ${clipFlags.map(([flag]) => `--${flag}`).join(' and ')}`);
  for (const [flag, option] of clipFlags) {
    const clip = Number(values[flag]);
    if (!(Number.isFinite(clip) && clip > 0)) throw new UsageError(`--${flag} must be a positive number, got '${values[flag]}'`);
    // It replaces any clipping the preset's optimizer had.
    optimizer = { ...optimizer, clipNorm: undefined, clipValue: undefined, globalClipNorm: undefined, [option]: clip };
  }
  const smoothing = values['label-smoothing'] === undefined ? 0 : Number(values['label-smoothing']);
  if (!(smoothing >= 0 && smoothing < 1)) throw new UsageError(`--label-smoothing must be a number in [0, 1), got '${values['label-smoothing']}'`);
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
  const range = pixelRange(model, values['pixel-range']);
  // Weights to start from, checked against the model before any GPU work (a Keras file's come with it).
  let startWeights: Float32Array[] | undefined;
  if (values.load && !fromFile) {
    try {
      startWeights = await readWeights(model, values.load);
    } catch (err) {
      throw withPresetHint(err, await presetsFitting(values.load));
    }
  }

  const device = await createDevice({ adapter: adapterChoice(), tuning: tuningMode(values.tuning ?? 'measure') });
  const a = device.adapter;
  const adapterText = `${a.description || a.device} (${a.vendor} ${a.architecture}, ${a.software ? 'software' : 'hardware'})`;
  console.log(`adapter: ${adapterText}`);

  const mnist = await loadMnist({ limit, testLimit, dir: data });
  toPixelRange(mnist.train.images, range);
  toPixelRange(mnist.test.images, range);
  await model.compile({ device, optimizer: keepFileOptimizer ? undefined : optimizer, loss: trainingLoss(model, smoothing), metrics: ['accuracy'], seed });
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
  if (schedule === 'cosine' && optimizer.schedule) throw new UsageError(`--lr-schedule cosine: ${values.load}'s optimizer follows its own learning-rate schedule (${optimizer.schedule.kind}); leave --lr-schedule out`);
  const decay = schedule === 'cosine' && decaySteps > 0 ? cosineDecay({ initialLearningRate: learningRate, decaySteps }) : undefined;
  console.log(
    `training ${fromFile ? values.load : name}: ${mnist.train.count} images${validationText(validation, mnist)}, ` +
      `${epochs} epoch(s), batch ${batchSize}, ${optimizer.kind} learning rate ${learningRate}` +
      (decay ? `, cosine decay to 0 over ${decaySteps} steps` : ''),
  );
  const settings = { model: fromFile ? values.load! : name, optimizer: withDefaults(optimizer), ...(decay ? { lrSchedule: 'cosine' as const } : {}), epochs, batchSize, seed, validation: validation.source, validationSplit: validation.split, limit, testLimit, load: values.load, ...(data ? { data } : {}), ...(range === 255 ? { pixelRange: range } : {}), ...(smoothing > 0 ? { labelSmoothing: smoothing } : {}) };
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
  console.log(testLine(test));
  model.dispose();
  device.destroy();
}

/**
 * The model's loss (lossForModel), with --label-smoothing's ε when given: Keras' label
 * smoothing is categorical cross-entropy's, the same loss as the sparse one on MNIST's labels.
 */
function trainingLoss(model: Sequential, smoothing: number): LossSpec {
  const loss = checkLossSpec(lossForModel(model));
  return smoothing > 0 ? { ...loss, name: 'categoricalCrossentropy', labelSmoothing: smoothing } : loss;
}
