#!/usr/bin/env node
// Trains a preset with its shipping schedule and writes the weights that ship with the project:
//
//   nice -n 19 node scripts/pretrain.mjs mnist-cnn          # hours on SwiftShader; seconds to minutes on a GPU
//   node scripts/pretrain.mjs mnist-cnn --dry-run           # print the command only
//
// It runs `webgpu-dl train` (from src/, through scripts/run.mjs) with the schedule below and
//   --save       pretrained/<preset>.safetensors          the weights (float32, Keras' names)
//   --checkpoint pretrained/<preset>.ckpt                 after every epoch and every 10 minutes
//                                                         within one (not committed)
//   --record     bench/results/runs/<preset>.json (+ .md) the run record: figures per epoch, test
// and then draws the record's curve (bench/curve.ts → bench/results/runs/<preset>.svg).
// Run it again after an interruption: it resumes from the checkpoint, at the batch it was
// written after, and the record continues. Stopped by Ctrl-C or SIGTERM, training submits no
// more batches and writes its checkpoint after those it submitted, so nothing is repeated;
// after a harder end (SIGKILL, a power cut) at most 10 minutes of work are.
// Arguments after `--` go to `webgpu-dl train` (e.g. `-- --limit 600` for a short trial);
// `--out DIR` puts all the files under DIR instead.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * The schedule each preset's shipped weights are trained with. mnist-conv3: Adam at its
 * constant 0.001, 2 epochs of batch 64 on 54,000 images (.9844 test here; the seed's SGD
 * schedule reached .9735; `npm start` trains one epoch with a decaying rate instead). The
 * others: the preset's own optimizer, batch size and epochs, validating each epoch on the test
 * images as Keras' mnist_cnn log did.
 */
const SCHEDULES = {
  'mnist-conv3': ['--optimizer', 'adam', '--epochs', '2', '--batch-size', '64'],
  'mnist-cnn': ['--validation-data', 'test'],
  'mnist-conv5': ['--validation-data', 'test'],
  'mnist-bn': ['--validation-data', 'test'],
};

const argv = process.argv.slice(2);
const dashes = argv.indexOf('--');
const passed = dashes < 0 ? [] : argv.slice(dashes + 1);
let parsed;
try {
  parsed = parseArgs({ args: dashes < 0 ? argv : argv.slice(0, dashes), options: { 'dry-run': { type: 'boolean' }, out: { type: 'string' } }, allowPositionals: true });
} catch (err) {
  parsed = { values: {}, positionals: [], error: err };
}
const { values, positionals } = parsed;
const preset = positionals[0];
if (parsed.error || positionals.length !== 1 || !(preset in SCHEDULES)) {
  console.error(`usage: node scripts/pretrain.mjs ${Object.keys(SCHEDULES).join('|')} [--dry-run] [--out DIR] [-- train options]`);
  process.exit(2);
}
const out = values.out;
const dryRun = values['dry-run'] === true;

const weightsDir = out ?? 'pretrained';
const recordsDir = out ?? join('bench', 'results', 'runs');
const checkpoint = join(weightsDir, `${preset}.ckpt`);
const record = join(recordsDir, `${preset}.json`);
if (!existsSync(checkpoint) && existsSync(record) && !dryRun) {
  console.error(`${record} exists but ${checkpoint} does not (the run stopped before its first epoch ended?): move the record away to start again`);
  process.exit(1);
}
/**
 * Checkpoints within an epoch by time, not by a number of batches: an epoch of mnist-cnn
 * takes about 50 minutes on SwiftShader here but seconds on a GPU, where a checkpoint every
 * N batches would cost more than the training.
 */
const CHECKPOINT_EVERY = '10min';
const train = [
  'train', '--model', preset, ...SCHEDULES[preset],
  '--save', join(weightsDir, `${preset}.safetensors`),
  '--checkpoint', checkpoint,
  '--checkpoint-every', CHECKPOINT_EVERY,
  '--record', record,
  ...(existsSync(checkpoint) ? ['--resume', checkpoint] : []),
  ...passed,
];
const commands = [
  ['scripts/run.mjs', 'src/cli/bin.ts', ...train],
  ['scripts/run.mjs', 'bench/curve.ts', record],
];
/**
 * Runs `node command` to its end and gives its exit code. Ctrl-C or SIGTERM sent to this script
 * goes on to the command, once: `webgpu-dl train` then submits no more batches, writes its
 * checkpoint after those it submitted and exits with 130 or 143. The command runs in a process
 * group of its own, so that a terminal's Ctrl-C does not reach it twice (once from the terminal,
 * once from here): a second signal makes train quit at once, without its checkpoint.
 */
const FORWARDED = ['SIGINT', 'SIGTERM'];
function run(command) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, command, { stdio: 'inherit', detached: true });
    shareAutogroupNice(child.pid);
    const forward = (signal) => child.kill(signal);
    for (const signal of FORWARDED) process.on(signal, forward);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      for (const signal of FORWARDED) process.off(signal, forward);
      resolve(code ?? 128 + constants.signals[signal]);
    });
  });
}

/**
 * Linux ranks CPU time between sessions by their autogroup's nice value (README: "Running the
 * full schedules"); the command's session of its own has an autogroup of its own, which gets
 * this script's value, so that a run started to yield to other sessions still does.
 */
function shareAutogroupNice(pid) {
  try {
    const nice = /nice (-?\d+)/.exec(readFileSync('/proc/self/autogroup', 'utf8'))?.[1];
    if (nice !== undefined && pid !== undefined) writeFileSync(`/proc/${pid}/autogroup`, nice);
  } catch {
    // Not Linux, or a kernel without autogroups: there is nothing to share.
  }
}

for (const command of commands) {
  console.log(`node ${command.join(' ')}`);
  if (dryRun) continue;
  mkdirSync(weightsDir, { recursive: true });
  mkdirSync(recordsDir, { recursive: true });
  const status = await run(command);
  if (status !== 0) process.exit(status);
}
