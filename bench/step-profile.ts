/**
 * One preset's training step, kernel call by kernel call, next to the engine's best matmul:
 * each call's GPU time (timestamps, the median of --runs runs of the whole step, every
 * dispatch in its own pass), its GFLOP/s for GEMMs and that rate as a fraction of a reference
 * matmul timed in the same process (512³ with A transposed, the bench's usual best). Also the
 * step's wall-clock samples/s through fit. Node only.
 *
 *   node scripts/run.mjs bench/step-profile.ts [--preset mnist-conv3] [--batches 100,64]
 *        [--runs 3] [--variants 'measure;classic']
 *
 * Variants, each its own device in this one process, measured in interleaved rounds so that
 * the load other jobs put on the CPU weighs on each alike:
 *   measure  the tuner as `webgpu-dl train` runs it (tuning 'measure', choices kept in memory);
 *   classic  the same, but every im2col forced to its 'chunks' kernel (the only one before
 *            'fours', src/kernels/im2col.ts).
 * Also prints what the tuner measured for each im2col (its candidates side by side).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDevice, type Device } from '../src/device/device.js';
import { memoryChoiceStore } from '../src/device/kernel-choices.js';
import { im2colTuningKey } from '../src/kernels/im2col.js';
import { matmul } from '../src/kernels/matmul.js';
import { presets } from '../src/nn/presets.js';
import { ScratchOwner } from '../src/runtime/scratch.js';
import { DispatchTimer, median } from '../src/runtime/timing.js';
import { describe } from './kernels.js';
import { gemmFlops, stepFlops, trainingKernels } from './shapes.js';
import { EngineTrainer, pairDispatches } from './training.js';

const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'mnist-conv3' },
    batches: { type: 'string', default: '100,64' },
    runs: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '2' },
    steps: { type: 'string', default: '2' },
    variants: { type: 'string', default: 'measure' },
  },
});
const presetName = values.preset!;
if (!presets[presetName]) throw new Error(`--preset: unknown '${presetName}' (one of ${Object.keys(presets).join(', ')})`);
const batches = values.batches!.split(',').map(Number);
if (batches.some((b) => !(Number.isInteger(b) && b >= 1))) throw new Error(`--batches: positive integers, got '${values.batches}'`);
const runs = Number(values.runs);
const rounds = Number(values.rounds);
const steps = Number(values.steps);
const variantNames = values.variants!.split(';');
for (const v of variantNames) if (v !== 'measure' && v !== 'classic') throw new Error(`--variants: 'measure' or 'classic', got '${v}'`);

interface Variant {
  name: string;
  device: Device;
  timer: DispatchTimer;
  referenceMs: number[];
  reference: Awaited<ReturnType<typeof matmul>>;
  trainers: Map<number, EngineTrainer>;
  stepMs: Map<number, number[]>;
  dispatchMs: Map<number, number[][]>;
}

const size = 512;
const referenceFlops = 2 * size ** 3;
const variants: Variant[] = [];
for (const name of variantNames) {
  const device = await createDevice({ tuning: 'measure', choiceStore: memoryChoiceStore() });
  if (name === 'classic') {
    for (const batch of batches) {
      const preset = presets[presetName]();
      for (const k of trainingKernels(preset.model, preset.optimizer.kind, batch, presetName)) {
        if (k.spec.family === 'im2col') device.kernelChoices.set(im2colTuningKey(k.spec.conv), { kernel: 'chunks', ms: {} });
      }
    }
  }
  const buffer = () => device.createBuffer('reference matmul operand', size * size * 4);
  const reference = await matmul(device, { m: size, n: size, k: size, transA: true }, { a: buffer(), b: buffer(), c: buffer() }, new ScratchOwner(device).scratch);
  const trainers = new Map<number, EngineTrainer>();
  for (const batch of batches) trainers.set(batch, await EngineTrainer.start(device, presets[presetName](), batch, 1));
  variants.push({ name, device, timer: new DispatchTimer(device), reference, referenceMs: [], trainers, stepMs: new Map(), dispatchMs: new Map() });
}

const loadBefore = loadavg()[0];
for (let round = 0; round < rounds; round++) {
  for (const v of variants) {
    v.referenceMs.push((await v.timer.perCall(v.reference, { warmup: 0, reps: 3, seconds: 0, minReps: 3, maxReps: 3, onceAboveMs: Infinity })).ms);
    for (const [batch, trainer] of v.trainers) {
      const wall = (await trainer.time(steps)) / steps;
      v.stepMs.set(batch, [...(v.stepMs.get(batch) ?? []), wall]);
      const step = await trainer.model.compiledStep('train', batch);
      const times = await v.timer.perDispatch(step.dispatches, runs);
      v.dispatchMs.set(batch, [...(v.dispatchMs.get(batch) ?? []), times]);
    }
  }
}

const fmt = (x: number, digits = 3) => (x >= 100 ? x.toFixed(0) : x.toPrecision(digits));
console.log(`${presetName}; ${rounds} interleaved rounds of: the reference matmul, ${steps} steps through fit, ${runs} timestamped runs of the step`);
console.log(`load average ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)} (2 cores shared with other jobs); adapter ${variants[0].device.adapter.description}`);
for (const batch of batches) {
  for (const v of variants) {
    const preset = presets[presetName]();
    const kernels = trainingKernels(preset.model, preset.optimizer.kind, batch, presetName);
    const refGflops = referenceFlops / median(v.referenceMs) / 1e6;
    const step = await v.trainers.get(batch)!.model.compiledStep('train', batch);
    // The median over rounds of each dispatch's time.
    const perRound = v.dispatchMs.get(batch)!;
    const ms = step.dispatches.map((_, i) => median(perRound.map((r) => r[i])));
    const total = ms.reduce((a, b) => a + b, 0);
    const wall = median(v.stepMs.get(batch)!);
    const flops = stepFlops(kernels);
    console.log(
      `\n[${v.name}] batch ${batch}: ${fmt((batch * 1000) / wall)} samples/s, step ${fmt(wall)} ms wall (dispatches sum to ${fmt(total)} ms), ` +
        `step ${fmt(flops / wall / 1e6)} GFLOP/s = ${(100 * (flops / wall / 1e6) / refGflops).toFixed(1)}% of the reference matmul (512³ Aᵀ, ${fmt(refGflops)} GFLOP/s)`,
    );
    const owners = pairDispatches(step.dispatches, kernels);
    // One line per kernel call: its dispatches summed (a split-K's two, a column sum's two).
    const calls: { use: string; name: string; shape: string; ms: number; labels: string[]; flops?: number }[] = [];
    step.dispatches.forEach((d, i) => {
      const owner = owners?.[i];
      const last = calls.at(-1);
      if (owner && last && last.use === owner.use && i > 0 && owners![i - 1] === owner) {
        last.ms += ms[i];
        last.labels.push(d.label);
        return;
      }
      const described = owner ? describe(owner.spec, owner.use) : undefined;
      const gemm = owner?.spec.family === 'matmul' ? owner.spec.gemm : undefined;
      calls.push({ use: owner?.use ?? d.label, name: described?.name ?? d.label, shape: described?.shape ?? '', ms: ms[i], labels: [d.label], flops: gemm && gemmFlops(gemm) });
    });
    const gemms = calls.filter((c) => c.flops);
    const gemmMs = gemms.reduce((a, c) => a + c.ms, 0);
    const gemmGflops = gemms.reduce((a, c) => a + c.flops!, 0) / gemmMs / 1e6;
    console.log(
      `  GEMMs: ${fmt(gemmMs)} ms of the ${fmt(total)} (${((100 * gemmMs) / total).toFixed(1)}%), at ${fmt(gemmGflops)} GFLOP/s = ${((100 * gemmGflops) / refGflops).toFixed(1)}% of the reference: ` +
        'the most the step could reach with every other kernel free',
    );
    for (const k of kernels) {
      if (k.spec.family !== 'im2col') continue;
      const choice = v.device.kernelChoices.get(im2colTuningKey(k.spec.conv));
      const timed = Object.entries(choice?.ms ?? {}).map(([kernel, ms]) => `${kernel} ${fmt(ms)} ms`);
      console.log(`  ${k.use.replace(`${presetName} `, '')} im2col: ${choice?.kernel ?? '?'}${timed.length ? ` (tuner: ${timed.join(', ')})` : ''}`);
    }
    if (!owners) console.log('  (the compiled dispatches did not pair with bench/shapes.ts\' kernel list: rows are dispatch labels)');
    console.log(`  ${'kernel call'.padEnd(34)} ${'kernel'.padEnd(20)} ${'shape'.padEnd(26)} ${'ms'.padStart(7)} ${'share'.padStart(6)} ${'GFLOP/s'.padStart(8)} ${'of ref'.padStart(7)}  dispatches`);
    for (const c of [...calls].sort((a, b) => b.ms - a.ms)) {
      const rate = c.flops ? c.flops / c.ms / 1e6 : undefined;
      console.log(
        `  ${c.use.replace(`${presetName} `, '').padEnd(34)} ${c.name.padEnd(20)} ${c.shape.padEnd(26)} ${fmt(c.ms).padStart(7)} ${`${((100 * c.ms) / total).toFixed(1)}%`.padStart(6)} ${(rate ? fmt(rate) : '').padStart(8)} ${(rate ? `${((100 * rate) / refGflops).toFixed(0)}%` : '').padStart(7)}  ${c.labels.join(' + ')}`,
      );
    }
  }
}
for (const v of variants) v.device.destroy();
process.exit(0);
