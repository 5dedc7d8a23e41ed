/**
 * Picks one of a kernel's candidates by timing them on the device that will run it, once per
 * (kernel, shape, adapter): the result goes to device.kernelChoices, which remembers it across
 * runs (src/device/kernel-choices.ts). Runs when a model is compiled, never in a step.
 *
 * The bound on time: each candidate runs once as a warm-up (first use of its pipeline), timed
 * only to drop a candidate whose warm-up took more than CUT_FACTOR times the best one's; then
 * ROUNDS rounds over the remaining candidates in turn (so that a change of the load other jobs
 * put on a shared CPU weighs on all alike), each of as many runs as fill TARGET_MS / ROUNDS,
 * within [MIN_RUNS, MAX_RUNS]; a candidate's time is the median of its rounds. The caller keeps
 * each run small (the matmul times a proxy of at most 2^25 FLOPs and 2^20 elements, see
 * matmul.ts), so a shape costs at most candidates × (1 + ROUNDS) such runs, or about
 * candidates × (warm-up + TARGET_MS) for short ones. The default (the fallback) is kept unless
 * another candidate beats it by more than MARGIN: on a loaded machine closer timings are noise.
 * Timing is by timestamp queries where the device has them, else by the wall clock around a
 * submit and onSubmittedWorkDone (src/runtime/timing.ts).
 */
import type { Device } from '../device/device.js';
import type { KernelChoice } from '../device/kernel-choices.js';
import type { Dispatch } from './dispatch.js';
import { DispatchTimer, median } from './timing.js';

export const MIN_RUNS = 1;
export const MAX_RUNS = 8;
export const ROUNDS = 3;
export const TARGET_MS = 30;
export const CUT_FACTOR = 3;
export const MARGIN = 0.1;

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
  try {
    // Warm-up: one run each; a candidate far slower than the best so far goes no further.
    const live: { candidate: K; dispatches: Dispatch[]; runs: number; times: number[] }[] = [];
    let bestWarmup = Infinity;
    for (const candidate of problem.candidates) {
      const dispatches = await setup.build(candidate);
      device.kernelChoices.timed++;
      const warmup = (await timer.perCall(dispatches, runs(1))).ms;
      ms[candidate] = warmup;
      if (warmup > CUT_FACTOR * bestWarmup) continue;
      bestWarmup = Math.min(bestWarmup, warmup);
      const timedRuns = Math.min(MAX_RUNS, Math.max(MIN_RUNS, Math.round(TARGET_MS / ROUNDS / Math.max(warmup, 1e-3))));
      live.push({ candidate, dispatches, runs: timedRuns, times: [] });
    }
    // Rounds over the candidates in turn, so that a change of load weighs on all alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of live) c.times.push((await timer.perCall(c.dispatches, runs(c.runs))).ms);
    }
    for (const c of live) ms[c.candidate] = median(c.times);
    return { kernel: pick(live.map((c) => c.candidate), ms, problem.fallback), ms, ...(setup.timedShape ? { timedShape: setup.timedShape } : {}) };
  } finally {
    setup.dispose();
  }
}

/**
 * The fastest candidate, unless the fallback (the default, chosen by earlier measurement) is
 * within MARGIN of it: a pick must beat the default by more than the timing noise.
 */
export function pick<K extends string>(timed: readonly K[], ms: Record<string, number>, fallback: K): K {
  let best = timed[0] ?? fallback;
  for (const c of timed) if (ms[c] < ms[best]) best = c;
  if (timed.includes(fallback) && ms[fallback] <= ms[best] * (1 + MARGIN)) return fallback;
  return best;
}

/**
 * A short fingerprint of a kernel's shader text (FNV-1a, 8 hex digits), for its cache keys: a
 * changed shader is timed afresh instead of reusing choices made for the old one.
 */
export function codeVersion(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Exactly `reps` timed calls and no warm-up. */
function runs(reps: number) {
  return { warmup: 0, reps, seconds: 0, minReps: reps, maxReps: reps, onceAboveMs: Infinity };
}
