/** The `webgpu-dl --help` text, the settings `npm start` trains with (which it states), and the option parser that prints it. */
import { parseArgs } from 'node:util';
import type { OptimizerKind } from '../nn/optimizers.js';
import { presetNames } from '../nn/presets.js';
import type { LearningRateSchedule } from './usage.js';
import { DEFAULT_VALIDATION_SPLIT } from './validation.js';

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

export const HELP = `webgpu-dl — train Keras-style MNIST CNNs on WebGPU (Dawn in Node)

Usage:
  webgpu-dl train [options]     train a preset model on MNIST and report test accuracy
  webgpu-dl predict [options]   print the classes a trained model predicts
  webgpu-dl evaluate [options]  test a trained model (e.g. a Keras .keras or .h5 file) on MNIST
  webgpu-dl --help              this text

Train options:
  --model NAME          ${presetNames.join(', ')} (default ${DEFAULT_TRAINING.model})
  --epochs N            epochs (default: ${DEFAULT_TRAINING.epochs} for the default model, else the preset's)
  --batch-size B        batch size (default: ${DEFAULT_TRAINING.batchSize} for the default model, else the preset's)
  --optimizer NAME      sgd, adam, adamw, adamax, nadam, adadelta, rmsprop, adagrad, lion
                        (default: the preset's; ${DEFAULT_TRAINING.optimizer} for the default model)
  --learning-rate X     learning rate (default: the optimizer's Keras default or the preset's;
                        ${DEFAULT_TRAINING.learningRate} for the default model with ${DEFAULT_TRAINING.optimizer})
  --weight-decay X      Keras 3's decoupled weight decay: p -= p·X·learning rate before each
                        update (default: the optimizer's; 0.004 for adamw, else 0)
  --clip-norm X, --clip-value X, --global-clip-norm X
                        Keras' gradient clipping (one of them): each weight's gradient scaled
                        to norm ≤ X, every value clamped to ±X, or all gradients scaled to a
                        global norm ≤ X, before each update (default: none)
  --label-smoothing X   Keras' label smoothing ε in [0, 1): train on the targets
                        t·(1 − ε) + ε/10 (default 0)
  --lr-schedule S       constant, or cosine: the rate falls from --learning-rate to 0 over the
                        run's steps (Keras' CosineDecay); default: ${DEFAULT_TRAINING.schedule} for the default
                        model, else constant
  --data DIR            a folder with the four IDX files under MNIST's names, each as it is
                        or gzipped (NAME.gz): Fashion-MNIST, KMNIST (default: MNIST)
  --pixel-range R       the pixel values the model takes: 1 (pixel / 255, in [0, 1], as Keras'
                        MNIST examples scale them) or 255 (raw, in [0, 255]); default auto:
                        255 for a model that opens with a Rescaling of raw pixels (Keras'
                        Rescaling(1/255)), else 1
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
  --model NAME          the preset the weights belong to (default for .safetensors: the
                        one preset the weights fit)
  --input FILE|FOLDER   a PNG of the model's input size (any colour type, bit depth or
                        interlacing; alpha is ignored), a folder of them (the first --limit,
                        by name), or an IDX images file (MNIST's format); default: the
                        MNIST test images
  --invert              read the PNG inverted (1 - pixel): for a dark digit on a light
                        background, since MNIST's digits are light on dark
  --limit N             predict the first N images of an IDX file, a folder or MNIST (default 10)
  --data DIR            predict the test images of this dataset instead of MNIST's, as for train
  --pixel-range R       as for train (default auto); a PNG's pixels are scaled as MNIST's
  --tuning MODE         as for train; default cached: the kernels train chose on this adapter
                        (the default kernel where it chose none), timing nothing

Evaluate options:
  --load FILE           the model (required), as for predict
  --model NAME          the preset the weights belong to (default for .safetensors: the
                        one preset the weights fit)
  --limit N             test on the first N MNIST test images (default all 10,000)
  --data DIR            test on this dataset's test images instead, as for train
  --pixel-range R       as for train (default auto)
  --batch-size B        batch size (default 100)
  --tuning MODE         as for predict (default cached)

Environment:
  WEBGPU_DL_ADAPTER     auto (default), hardware or software (SwiftShader)
  WEBGPU_DL_CACHE_DIR   where --tuning keeps kernel-choices.json (default
                        $XDG_CACHE_HOME/webgpu-dl, else ~/.cache/webgpu-dl)

train and evaluate print 'test: loss <number> accuracy <number>' as their last line.`;

/**
 * A command's `--name VALUE` options, parsed strictly (an unknown option or a missing value is
 * a usage error); undefined when --help or -h asked for the help, which is printed.
 */
export function parseOptions<Name extends string, Flag extends string = never>(
  argv: string[],
  names: readonly Name[],
  flags: readonly Flag[] = [],
): (Partial<Record<Name, string>> & Partial<Record<Flag, boolean>>) | undefined {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const name of names) options[name] = { type: 'string' };
  for (const flag of flags) options[flag] = { type: 'boolean' };
  const { values } = parseArgs({ args: argv, options, strict: true });
  if (values.help) {
    console.log(HELP);
    return undefined;
  }
  return values as Partial<Record<Name, string>> & Partial<Record<Flag, boolean>>;
}
