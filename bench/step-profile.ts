/**
 * One preset's training step, kernel call by kernel call, next to the engine's best matmul:
 * each call's GPU time (timestamps, every dispatch in its own pass; the median over --rounds
 * rounds of the median of --runs runs of the step), its GFLOP/s for GEMMs and that rate as a
 * fraction of a reference matmul timed in the same rounds (512³ with A transposed, the bench's
 * usual best). Also the step's wall-clock samples/s through fit, the GEMMs' own rate (the most
 * the step could reach were every other kernel free) and what the tuner measured for each
 * im2col. The device tunes as `webgpu-dl train` does (tuning 'measure', choices kept in
 * memory). bench/kernel-forms.ts times the kernels whose forms changed, old against new.
 * Node only.
 *
 *   node scripts/run.mjs bench/step-profile.ts [--preset mnist-conv3] [--batches 100,64]
 *        [--runs 3] [--rounds 2] [--steps 2]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDevice } from '../src/device/device.js';
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
  },
});
const presetName = values.preset!;
if (!presets[presetName]) throw new Error(`--preset: unknown '${presetName}' (one of ${Object.keys(presets).join(', ')})`);
const batches = values.batches!.split(',').map(Number);
if (batches.some((b) => !(Number.isInteger(b) && b >= 1))) throw new Error(`--batches: positive integers, got '${values.batches}'`);
const [runs, rounds, steps] = [values.runs, values.rounds, values.steps].map(Number);

const device = await createDevice({ tuning: 'measure', choiceStore: memoryChoiceStore() });
const timer = new DispatchTimer(device);
const size = 512;
const operand = () => device.createBuffer('reference matmul operand', size * size * 4);
const reference = await matmul(device, { m: size, n: size, k: size, transA: true }, { a: operand(), b: operand(), c: operand() }, new ScratchOwner(device).scratch);
const trainers = new Map<number, EngineTrainer>();
for (const batch of batches) trainers.set(batch, await EngineTrainer.start(device, presets[presetName](), batch, 1));

// Rounds of: the reference, steps through fit, timestamped runs of the step, per batch.
const referenceMs: number[] = [];
const wallMs = new Map<number, number[]>(batches.map((b) => [b, []]));
const dispatchMs = new Map<number, number[][]>(batches.map((b) => [b, []]));
const loadBefore = loadavg()[0];
for (let round = 0; round < rounds; round++) {
  referenceMs.push((await timer.perCall(reference, { warmup: 0, reps: 3, seconds: 0, minReps: 3, maxReps: 3, onceAboveMs: Infinity })).ms);
  for (const [batch, trainer] of trainers) {
    wallMs.get(batch)!.push((await trainer.time(steps)) / steps);
    const step = await trainer.model.compiledStep('train', batch);
    dispatchMs.get(batch)!.push(await timer.perDispatch(step.dispatches, runs));
  }
}

const fmt = (x: number, digits = 3) => (x >= 100 ? x.toFixed(0) : x.toPrecision(digits));
const refGflops = (2 * size ** 3) / median(referenceMs) / 1e6;
console.log(`${presetName}; ${rounds} rounds of: the reference matmul, ${steps} steps through fit, ${runs} timestamped runs of the step`);
console.log(`load average ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)} (2 cores shared with other jobs); adapter ${device.adapter.description}`);
console.log(`reference matmul 512³ Aᵀ: ${fmt(refGflops)} GFLOP/s`);
for (const batch of batches) {
  const preset = presets[presetName]();
  const trained = trainers.get(batch)!.model;
  // The nominal GEMMs (every conv in its im2col form) for the FLOPs; the calls as compiled (the tuner's conv algorithms) for the pairing.
  const kernels = trainingKernels(preset.model, preset.optimizer.kind, batch, presetName);
  const compiled = trainingKernels(trained, preset.optimizer.kind, batch, presetName, (layer) => layer.algorithmsAt(batch));
  const step = await trained.compiledStep('train', batch);
  const perRound = dispatchMs.get(batch)!;
  const ms = step.dispatches.map((_, i) => median(perRound.map((r) => r[i])));
  const total = ms.reduce((a, b) => a + b, 0);
  const wall = median(wallMs.get(batch)!);
  const flops = stepFlops(kernels);
  const stepGflops = flops / wall / 1e6;
  console.log(
    `\nbatch ${batch}: ${fmt((batch * 1000) / wall)} samples/s, step ${fmt(wall)} ms wall (dispatches sum to ${fmt(total)} ms), ` +
      `${fmt(stepGflops)} GFLOP/s = ${((100 * stepGflops) / refGflops).toFixed(1)}% of the reference`,
  );
  // One line per kernel call: its dispatches summed (a split-K's two, a column sum's two).
  const owners = pairDispatches(step.dispatches, compiled);
  const calls: { use: string; name: string; shape: string; ms: number; labels: string[]; flops?: number }[] = [];
  step.dispatches.forEach((d, i) => {
    const owner = owners?.[i];
    const last = calls.at(-1);
    if (owner && last && i > 0 && owners![i - 1] === owner) {
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
    `  GEMMs: ${fmt(gemmMs)} of the ${fmt(total)} ms (${((100 * gemmMs) / total).toFixed(1)}%), at ${fmt(gemmGflops)} GFLOP/s = ` +
      `${((100 * gemmGflops) / refGflops).toFixed(1)}% of the reference: the most the step could reach with every other kernel free`,
  );
  for (const k of kernels) {
    if (k.spec.family !== 'im2col') continue;
    const choice = device.kernelChoices.get(im2colTuningKey(k.spec.conv));
    const timed = Object.entries(choice?.ms ?? {}).map(([kernel, t]) => `${kernel} ${fmt(t)} ms`);
    console.log(`  ${k.use.replace(`${presetName} `, '')} im2col: ${choice ? `${choice.kernel} (tuner: ${timed.join(', ')})` : 'chunks (the only candidate)'}`);
  }
  if (!owners) console.log("  (the compiled dispatches did not pair with bench/shapes.ts' kernel list: rows are dispatch labels)");
  console.log(`  ${'kernel call'.padEnd(34)} ${'kernel'.padEnd(26)} ${'shape'.padEnd(26)} ${'ms'.padStart(7)} ${'share'.padStart(6)} ${'GFLOP/s'.padStart(8)} ${'of ref'.padStart(7)}  dispatches`);
  for (const c of [...calls].sort((a, b) => b.ms - a.ms)) {
    const rate = c.flops ? c.flops / c.ms / 1e6 : undefined;
    console.log(
      `  ${c.use.replace(`${presetName} `, '').padEnd(34)} ${c.name.padEnd(26)} ${c.shape.padEnd(26)} ${fmt(c.ms).padStart(7)} ${`${((100 * c.ms) / total).toFixed(1)}%`.padStart(6)} ` +
        `${(rate ? fmt(rate) : '').padStart(8)} ${(rate ? `${((100 * rate) / refGflops).toFixed(0)}%` : '').padStart(7)}  ${c.labels.join(' + ')}`,
    );
  }
}
device.destroy();
process.exit(0);
