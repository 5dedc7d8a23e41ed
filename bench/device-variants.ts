/**
 * Device options side by side: one device per variant (each its own Dawn instance, in this one
 * process), the same work on each, in interleaved rounds so that the load other jobs put on
 * the CPU weighs on every variant alike. Prints each variant's median and its ratio to the
 * first. Node only.
 *
 *   node scripts/run.mjs bench/device-variants.ts [--rounds N] [--steps N] [--preset NAME]
 *        [--variants 'none;toggles=disable_robustness;toggles=a,b;tuning=measure']
 *
 * A variant is `none`, `toggles=LIST` (Dawn toggles, see createDevice's dawnToggles),
 * `tuning=MODE` (each tuning variant keeps its choices in memory, measured when it compiles) or
 * `paced=false` (dawn.node's own waits for read-backs, see createDevice's pacedWaits).
 * Work: the 512³ matmul (as the variant's device chooses its kernel) and training steps of a
 * preset through fit (its own batch size, random data).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDevice, type Device, type DeviceOptions } from '../src/device/device.js';
import { memoryChoiceStore, type TuningMode } from '../src/device/kernel-choices.js';
import { matmul } from '../src/kernels/matmul.js';
import { presets } from '../src/nn/presets.js';
import { ScratchOwner } from '../src/runtime/scratch.js';
import { DispatchTimer, median } from '../src/runtime/timing.js';
import { EngineTrainer } from './training.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    steps: { type: 'string', default: '2' },
    preset: { type: 'string', default: 'mnist-conv3' },
    variants: { type: 'string', default: 'none;toggles=disable_robustness;toggles=skip_validation;toggles=lazy_clear_resource_on_first_use;toggles=disable_robustness,skip_validation' },
  },
});
const rounds = Number(values.rounds);
const steps = Number(values.steps);
const presetName = values.preset!;
if (!presets[presetName]) throw new Error(`--preset: unknown '${presetName}'`);

function variantOptions(text: string): DeviceOptions {
  if (text === 'none') return {};
  const [kind, value = ''] = text.split('=');
  if (kind === 'toggles') return { dawnToggles: value.split(',').filter(Boolean) };
  if (kind === 'tuning') return { tuning: value as TuningMode, choiceStore: memoryChoiceStore() };
  if (kind === 'paced') return { pacedWaits: value !== 'false' };
  throw new Error(`--variants: '${text}' is not none, toggles=LIST, tuning=MODE or paced=true|false`);
}

interface Variant {
  name: string;
  device: Device;
  timer: DispatchTimer;
  matmulCall: Awaited<ReturnType<typeof matmul>>;
  trainer: EngineTrainer;
  matmulMs: number[];
  stepMs: number[];
}

const size = 512;
const variants: Variant[] = [];
for (const name of values.variants!.split(';')) {
  const device = await createDevice(variantOptions(name));
  const buffer = () => device.createBuffer('x', size * size * 4);
  const matmulCall = await matmul(device, { m: size, n: size, k: size }, { a: buffer(), b: buffer(), c: buffer() }, new ScratchOwner(device).scratch);
  const preset = presets[presetName]();
  const trainer = await EngineTrainer.start(device, preset, preset.fit.batchSize, 1);
  variants.push({ name, device, timer: new DispatchTimer(device, 'wall-clock'), matmulCall, trainer, matmulMs: [], stepMs: [] });
}

const load = loadavg()[0];
for (let round = 0; round < rounds; round++) {
  for (const v of variants) {
    v.matmulMs.push((await v.timer.perCall(v.matmulCall, { warmup: 0, reps: 3, seconds: 0, minReps: 3, maxReps: 3, onceAboveMs: Infinity })).ms);
    v.stepMs.push((await v.trainer.time(steps)) / steps);
  }
}

const batch = presets[presetName]().fit.batchSize;
const [base] = variants;
console.log(`${rounds} interleaved rounds; load average ${load.toFixed(1)} → ${loadavg()[0].toFixed(1)}; adapter ${base.device.adapter.description}`);
console.log(`variant                                   matmul 512³ GFLOP/s  ×first   ${presetName} samples/s  ×first`);
for (const v of variants) {
  const mm = median(v.matmulMs);
  const step = median(v.stepMs);
  console.log(
    `${v.name.padEnd(42)}${((2 * size ** 3) / mm / 1e6).toFixed(2).padStart(19)}  ${(median(base.matmulMs) / mm).toFixed(2).padStart(6)}   ${((batch * 1000) / step).toFixed(1).padStart(13 + presetName.length - 6)}  ${(median(base.stepMs) / step).toFixed(2).padStart(6)}`,
  );
}
for (const v of variants) v.device.destroy();
process.exit(0);
