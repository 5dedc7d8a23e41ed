/**
 * Dawn toggles side by side: one device per toggle set (each its own Dawn instance, in this one
 * process), the same work on each, in interleaved rounds so that the load other jobs put on
 * the CPU weighs on every set alike. Prints each set's median time and its ratio to no toggles.
 *
 *   node scripts/run.mjs bench/dawn-toggles.ts [--rounds N] [--steps N] [--sets a,b;c;...]
 *
 * Work: the 512³ matmul (quad kernel where there are quads) and mnist-conv3 training steps
 * through fit (batch 100, random data). Node only.
 */
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';
import { createDevice, type Device } from '../src/device/device.js';
import { matmul } from '../src/kernels/matmul.js';
import { presets } from '../src/nn/presets.js';
import { DispatchTimer, median } from '../src/runtime/timing.js';
import { EngineTrainer } from './training.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, steps: { type: 'string', default: '2' }, sets: { type: 'string' } },
});
const rounds = Number(values.rounds);
const steps = Number(values.steps);
const sets: string[][] = values.sets
  ? values.sets.split(';').map((s) => s.split(',').filter(Boolean))
  : [[], ['disable_robustness'], ['skip_validation'], ['lazy_clear_resource_on_first_use'], ['disable_robustness', 'skip_validation']];

interface Setup {
  toggles: string[];
  device: Device;
  timer: DispatchTimer;
  matmulCall: Awaited<ReturnType<typeof matmul>>;
  trainer: EngineTrainer;
  matmulMs: number[];
  stepMs: number[];
}

const size = 512;
const setups: Setup[] = [];
for (const toggles of sets) {
  const device = await createDevice({ dawnToggles: toggles });
  const buffer = (n: number) => device.createBuffer('x', n * 4);
  const matmulCall = await matmul(device, { m: size, n: size, k: size }, { a: buffer(size * size), b: buffer(size * size), c: buffer(size * size) });
  const preset = presets['mnist-conv3']();
  const trainer = await EngineTrainer.start(device, preset, 100, 1);
  setups.push({ toggles, device, timer: new DispatchTimer(device, 'wall-clock'), matmulCall, trainer, matmulMs: [], stepMs: [] });
}

const load = loadavg()[0];
for (let round = 0; round < rounds; round++) {
  for (const s of setups) {
    s.matmulMs.push((await s.timer.perCall(s.matmulCall, { warmup: 0, reps: 3, seconds: 0, minReps: 3, maxReps: 3, onceAboveMs: Infinity })).ms);
    s.stepMs.push((await s.trainer.time(steps)) / steps);
  }
}

const base = setups[0];
const baseMatmul = median(base.matmulMs);
const baseStep = median(base.stepMs);
console.log(`Dawn toggles, ${rounds} interleaved rounds; load average ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)}; adapter ${base.device.adapter.description}`);
console.log('toggles                                   matmul 512³ GFLOP/s  ×base   mnist-conv3 samples/s  ×base');
for (const s of setups) {
  const mm = median(s.matmulMs);
  const step = median(s.stepMs);
  const name = s.toggles.length ? s.toggles.join(',') : '(none)';
  console.log(
    `${name.padEnd(42)}${((2 * size ** 3) / mm / 1e6).toFixed(2).padStart(19)}  ${(baseMatmul / mm).toFixed(2).padStart(5)}   ${((100 * 1000) / step).toFixed(1).padStart(21)}  ${(baseStep / step).toFixed(2).padStart(5)}`,
  );
}
for (const s of setups) s.device.destroy();
process.exit(0);
