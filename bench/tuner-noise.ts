/**
 * The kernel tuner's decision rules on a loaded machine: times the matmul candidates of one
 * shape as the tuner does (src/runtime/tuner.ts' measureCandidates: warm-ups, 3 interleaved
 * rounds, the extra rounds), over and over, and for each trial prints what the rule before
 * (the median of the first 3 rounds, the default kept within 10%) and the rule now (the
 * minimum of the rounds, the default kept while level: tuner.ts' pick) would pick. The last
 * line: each candidate's least time over every trial, the nearest this machine gets to its
 * undisturbed speed, as a fraction of the fastest's. Run it while other jobs load the CPU.
 * With --preset, instead: the cost of timing every GEMM of the preset's training step once
 * (its batch size), the wall-clock seconds in all and in the extra rounds, and both rules' picks.
 *
 *   node scripts/run.mjs bench/tuner-noise.ts [--size 512] [--trials 12]
 *   node scripts/run.mjs bench/tuner-noise.ts --preset mnist-cnn
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDevice } from '../src/device/device.js';
import { memoryChoiceStore } from '../src/device/kernel-choices.js';
import { chooseKernel, matmulTuningKey, matmulTuningProblem, type MatmulParams } from '../src/kernels/matmul.js';
import { resolveOptimizer } from '../src/nn/optimizers.js';
import { presets } from '../src/nn/presets.js';
import { DispatchTimer, median } from '../src/runtime/timing.js';
import { MARGIN, measureCandidates, pick, ROUNDS, roundTimes, type CallTimer } from '../src/runtime/tuner.js';
import { trainingKernels } from './shapes.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '512' }, trials: { type: 'string', default: '12' }, preset: { type: 'string' } } });
const size = Number(values.size);
const trials = Number(values.trials);

const device = await createDevice({ tuning: 'measure', choiceStore: memoryChoiceStore() });

/** The rule before TUNER_RULE 2: the median of 3 rounds; the default kept unless beaten by more than MARGIN. */
function medianOf3(rounds: Record<string, number[]>, fallback: string): string {
  const ms = Object.fromEntries(Object.entries(rounds).map(([c, times]) => [c, median(times.slice(0, ROUNDS))]));
  const best = Object.keys(ms).reduce((b, c) => (ms[c] < ms[b] ? c : b));
  return fallback in ms && ms[fallback] <= ms[best] * (1 + MARGIN) ? fallback : best;
}

if (values.preset) {
  await presetCost(values.preset);
  device.destroy();
  process.exit(0);
}

/** Times every distinct GEMM of the preset's training step as the tuner does; wall-clock seconds in all and in extra rounds. */
async function presetCost(name: string): Promise<void> {
  const preset = presets[name]?.();
  if (!preset) throw new Error(`--preset: unknown '${name}' (one of ${Object.keys(presets).join(', ')})`);
  const batch = preset.fit.batchSize;
  const gemms = new Map<string, MatmulParams>();
  for (const { spec } of trainingKernels(preset.model, resolveOptimizer(preset.optimizer).kind, batch, name)) {
    if (spec.family !== 'matmul') continue;
    const g = spec.gemm;
    const params: MatmulParams = { m: g.m, n: g.n, k: g.k, transA: g.transA, transB: g.transB, bias: g.bias, activation: g.relu ? 'relu' : 'linear', reluMask: g.reluMask };
    gemms.set(matmulTuningKey(params), params);
  }
  console.log(`${device.adapter.description}; ${name} at batch ${batch}: ${gemms.size} GEMM shapes; load average ${loadavg()[0].toFixed(1)} at the start`);
  let totalMs = 0;
  let extraMs = 0;
  for (const [key, params] of gemms) {
    // Each candidate's perCall wall times in order: its warm-up, ROUNDS rounds, then its extra rounds.
    const calls = new Map<string, number[]>();
    const inner = new DispatchTimer(device);
    const timer: CallTimer = {
      perCall: async (dispatches, options) => {
        const start = performance.now();
        const result = await inner.perCall(dispatches, options);
        const list = calls.get(dispatches[0].label) ?? [];
        list.push(performance.now() - start);
        calls.set(dispatches[0].label, list);
        return result;
      },
    };
    const fallback = chooseKernel(device, params.m, params.k);
    const start = performance.now();
    const { rounds } = await measureCandidates(device, matmulTuningProblem(device, params, 'tuner-noise'), timer);
    const ms = performance.now() - start;
    const extra = [...calls.values()].reduce((sum, list) => sum + list.slice(1 + ROUNDS).reduce((a, b) => a + b, 0), 0);
    totalMs += ms;
    extraMs += extra;
    const now = pick(Object.fromEntries(Object.entries(rounds).map(([c, t]) => [c, roundTimes(t)])), fallback);
    console.log(`${key}: ${(ms / 1000).toFixed(1)} s, extra rounds ${(extra / 1000).toFixed(1)} s; median of 3 picks ${medianOf3(rounds, fallback)}, minimum picks ${now}`);
  }
  console.log(`all ${gemms.size} shapes: ${(totalMs / 1000).toFixed(1)} s of tuning, of which ${(extraMs / 1000).toFixed(1)} s extra rounds; load average ${loadavg()[0].toFixed(1)} at the end`);
}

const params = { m: size, n: size, k: size };
const fallback = chooseKernel(device, size, size);
const problem = matmulTuningProblem(device, params, `tuner-noise ${size}³`);
console.log(`${device.adapter.description}; matmul ${size}³ (timed on a proxy); default '${fallback}'; load average ${loadavg()[0].toFixed(1)} at the start`);

const least: Record<string, number> = {};
const picks = { before: new Map<string, number>(), now: new Map<string, number>() };
for (let trial = 1; trial <= trials; trial++) {
  const { rounds } = await measureCandidates(device, problem);
  const times = Object.fromEntries(Object.entries(rounds).map(([c, t]) => [c, roundTimes(t)]));
  const before = medianOf3(rounds, fallback);
  const now = pick(times, fallback);
  picks.before.set(before, (picks.before.get(before) ?? 0) + 1);
  picks.now.set(now, (picks.now.get(now) ?? 0) + 1);
  for (const [c, t] of Object.entries(times)) least[c] = Math.min(least[c] ?? Infinity, t.min);
  const detail = Object.entries(rounds).map(([c, t]) => `${c} ${t.map((ms) => ms.toFixed(1)).join('/')}`).join('; ');
  console.log(`trial ${trial} (load ${loadavg()[0].toFixed(1)}): median of 3 picks ${before}, minimum picks ${now}; ms per call by round: ${detail}`);
}
const fastest = Math.min(...Object.values(least));
console.log(`picks over ${trials} trials: median of 3 ${JSON.stringify(Object.fromEntries(picks.before))}, minimum ${JSON.stringify(Object.fromEntries(picks.now))}`);
console.log(`least time over all trials, as a fraction of the fastest's speed: ${Object.entries(least).map(([c, ms]) => `${c} ${(fastest / ms).toFixed(2)}`).join(', ')}`);
device.destroy();
