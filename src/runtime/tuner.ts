/**
 * Picks one of a kernel's candidates by timing them on the device that will run it, once per
 * (kernel, shape, adapter): the result goes to device.kernelChoices, which remembers it across
 * runs (src/device/kernel-choices.ts). Runs when a model is compiled, never in a step.
 *
 * The bound on time: each candidate runs once as a warm-up (first use of its pipeline), timed
 * only to drop a candidate whose warm-up took more than CUT_FACTOR times the best one's; then
 * as many timed runs as fill TARGET_MS, within [MIN_RUNS, MAX_RUNS] (short kernels need more
 * to rise above the noise of a shared CPU). The caller keeps each run small (the matmul times
 * a proxy of at most 2^25 FLOPs and 2^20 elements, see matmul.ts), so a shape costs at most
 * candidates × (1 + MIN_RUNS) such runs, or candidates × (warm-up + TARGET_MS) for short ones.
 * Timing is by timestamp queries where the device has them, else by the wall clock around a
 * submit and onSubmittedWorkDone (src/runtime/timing.ts).
 */
import type { Device } from '../device/device.js';
import type { KernelChoice } from '../device/kernel-choices.js';
import type { Dispatch } from './dispatch.js';
import { DispatchTimer } from './timing.js';

export const MIN_RUNS = 2;
export const MAX_RUNS = 16;
export const TARGET_MS = 30;
export const CUT_FACTOR = 3;

/** What the tuner needs of a kernel: its candidates and a way to run each on scratch buffers. */
export interface TuningProblem<K extends string> {
  /** The kernel and shape, e.g. `matmul 512×512×512 Aᵀ`; the cache key. */
  key: string;
  candidates: readonly K[];
  /** The choice without timing (tuning 'off', or 'cached' with nothing stored). */
  fallback: K;
  /** Creates the scratch buffers the timing runs use; called only when timing happens. */
  prepare(): Promise<TimingSetup<K>>;
}

export interface TimingSetup<K extends string> {
  /** The problem actually timed when it is a smaller proxy, e.g. `256×512×512`. */
  timedShape?: string;
  /** One candidate's dispatches on the scratch buffers. */
  build(candidate: K): Promise<Dispatch[]>;
  dispose(): void;
}

/** The candidate to use: from the cache, by timing (tuning 'measure'), or the fallback. */
export async function chooseCandidate<K extends string>(device: Device, problem: TuningProblem<K>): Promise<K> {
  const choices = device.kernelChoices;
  const { candidates, fallback } = problem;
  if (choices.mode === 'off' || candidates.length <= 1) return candidates.length === 1 ? candidates[0] : fallback;
  const stored = choices.get(problem.key);
  // A stored kernel that is no longer a candidate (renamed, or a feature now off) is re-timed.
  if (stored && (candidates as readonly string[]).includes(stored.kernel)) {
    choices.cacheHits++;
    return stored.kernel as K;
  }
  if (choices.mode === 'cached') return fallback;
  const choice = await timeCandidates(device, problem);
  choices.set(problem.key, choice);
  return choice.kernel as K;
}

async function timeCandidates<K extends string>(device: Device, problem: TuningProblem<K>): Promise<KernelChoice> {
  const timer = new DispatchTimer(device);
  const setup = await problem.prepare();
  const ms: Record<string, number> = {};
  let best: K = problem.fallback;
  let bestMs = Infinity;
  let bestWarmup = Infinity;
  try {
    for (const candidate of problem.candidates) {
      const dispatches = await setup.build(candidate);
      device.kernelChoices.timed++;
      const warmup = (await timer.perCall(dispatches, runs(1))).ms;
      if (warmup > CUT_FACTOR * bestWarmup) {
        ms[candidate] = warmup;
        continue;
      }
      bestWarmup = Math.min(bestWarmup, warmup);
      const timedRuns = Math.min(MAX_RUNS, Math.max(MIN_RUNS, Math.round(TARGET_MS / Math.max(warmup, 1e-3))));
      ms[candidate] = (await timer.perCall(dispatches, runs(timedRuns))).ms;
      if (ms[candidate] < bestMs) {
        best = candidate;
        bestMs = ms[candidate];
      }
    }
  } finally {
    setup.dispose();
  }
  return { kernel: best, ms, ...(setup.timedShape ? { timedShape: setup.timedShape } : {}) };
}

/** Exactly `reps` timed calls and no warm-up. */
function runs(reps: number) {
  return { warmup: 0, reps, seconds: 0, minReps: reps, maxReps: reps, onceAboveMs: Infinity };
}
