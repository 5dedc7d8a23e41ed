/**
 * The kernels whose forms changed for mnist-conv3's step, old form against new, side by side on
 * the shapes of its training step at each batch: im2col's 'chunks' against 'fours' (first
 * layer), the column sums (bias gradients) one column per invocation against four, the optimizer
 * update one value per invocation against four (SGD and Adam, the preset's and npm start's);
 * and clipping by norm over mnist-cnn's gradients (the global norm, and its largest weight's),
 * whose sum of squares ran in one workgroup (256 invocations, each striding over all values),
 * against as many invocations as it now takes (up to 4096, shaders/partial-sums.wgsl; the
 * regularizer and activity penalties share that pass).
 * Every pair is timed in interleaved rounds (GPU timestamps, the interquartile mean of --reps
 * calls per round), so that the load other jobs put on the CPU weighs on both forms alike;
 * prints each form's median over the rounds, their ratio, and the milliseconds per step saved.
 * Node only.
 *
 *   node scripts/run.mjs bench/kernel-forms.ts [--batches 100,64] [--rounds 7] [--reps 5]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDevice } from '../src/device/device.js';
import { clipByNorm } from '../src/kernels/clip-gradient.js';
import { columnSum } from '../src/kernels/column-sum.js';
import { im2col, im2colCandidates } from '../src/kernels/im2col.js';
import { encodeHyper, optimizerUpdate } from '../src/kernels/optimizer.js';
import { withDefaults } from '../src/nn/optimizers.js';
import { presets } from '../src/nn/presets.js';
import type { Dispatch } from '../src/runtime/dispatch.js';
import { ScratchOwner } from '../src/runtime/scratch.js';
import { DispatchTimer, median } from '../src/runtime/timing.js';
import { optimizerCount, trainingKernels } from './shapes.js';

const { values } = parseArgs({
  options: {
    batches: { type: 'string', default: '100,64' },
    rounds: { type: 'string', default: '7' },
    reps: { type: 'string', default: '5' },
  },
});
const batches = values.batches!.split(',').map(Number);
if (batches.some((b) => !(Number.isInteger(b) && b >= 1))) throw new Error(`--batches: positive integers, got '${values.batches}'`);
const rounds = Number(values.rounds);
const reps = Number(values.reps);

const device = await createDevice({ tuning: 'off' });
const owner = new ScratchOwner(device);
const buffer = (what: string, elements: number) => owner.scratch(what, elements * 4);

/** One kernel call of the step in its old and its new form. */
interface Pair {
  what: string;
  old: Dispatch[];
  now: Dispatch[];
  oldMs: number[];
  newMs: number[];
}
const pairs: Pair[] = [];
const pair = (what: string, old: Dispatch[], now: Dispatch[]) => pairs.push({ what, old, now, oldMs: [], newMs: [] });

const preset = presets['mnist-conv3']();
for (const batch of batches) {
  for (const k of trainingKernels(preset.model, 'sgd', batch, `batch ${batch}`)) {
    const { spec } = k;
    if (spec.family === 'im2col' && im2colCandidates(spec.conv).includes('fours')) {
      const p = spec.conv;
      const io = { x: buffer('x', p.batch * p.height * p.width * p.channels), col: buffer('col', p.batch * p.outH * p.outW * p.kernelH * p.kernelW * p.channels) };
      pair(`${k.use} im2col`, [await im2col(device, p, io, 'chunks')], [await im2col(device, p, io, 'fours')]);
    }
    if (spec.family === 'column sum' && spec.cols % 4 === 0) {
      const io = { x: buffer('x', spec.rows * spec.cols), out: buffer('out', spec.cols) };
      const shape = { rows: spec.rows, cols: spec.cols };
      pair(`${k.use} ${spec.rows}×${spec.cols}`, await columnSum(device, shape, io, owner.scratch, 1), await columnSum(device, shape, io, owner.scratch, 4));
    }
  }
}
const count = optimizerCount(preset.model);
for (const kind of ['sgd', 'adam'] as const) {
  const config = withDefaults({ kind });
  const io = {
    params: buffer('params', count),
    grads: buffer('grads', count),
    state: buffer('state', 2 * count),
    hyper: device.upload('hyper', encodeHyper(config)),
    stepInfo: device.upload('stepInfo', Uint32Array.of(1, 0, 0, 0)),
  };
  pair(`${kind} update (${count} parameters)`, [await optimizerUpdate(device, config, { count }, io, 1)], [await optimizerUpdate(device, config, { count }, io, 4)]);
}
for (const [what, n] of [['clip by global norm', optimizerCount(presets['mnist-cnn']().model)], ['clip dense kernel by norm', 9216 * 128]] as const) {
  const io = { g: buffer('g', n) };
  pair(`${what} (${n} values)`, await clipByNorm(device, n, 1, io, owner.scratch, 256), await clipByNorm(device, n, 1, io, owner.scratch));
}

const timer = new DispatchTimer(device);
const options = { warmup: 1, reps, seconds: 0, minReps: reps, maxReps: reps, onceAboveMs: Infinity };
const loadBefore = loadavg()[0];
for (let round = 0; round < rounds; round++) {
  for (const p of pairs) {
    p.oldMs.push((await timer.perCall(p.old, options)).ms);
    p.newMs.push((await timer.perCall(p.now, options)).ms);
  }
}
console.log(`${rounds} interleaved rounds, ${reps} calls each; load average ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)} (2 cores shared with other jobs); ${device.adapter.description}`);
console.log(`${'kernel call'.padEnd(44)} ${'old ms'.padStart(8)} ${'new ms'.padStart(8)} ${'old/new'.padStart(8)} ${'saved'.padStart(8)}`);
for (const p of pairs) {
  const [old, now] = [median(p.oldMs), median(p.newMs)];
  console.log(`${p.what.padEnd(44)} ${old.toFixed(2).padStart(8)} ${now.toFixed(2).padStart(8)} ${(old / now).toFixed(2).padStart(8)} ${(old - now).toFixed(2).padStart(8)}`);
}
owner.destroy();
device.destroy();
process.exit(0);
