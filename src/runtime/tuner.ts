/**
 * Picks one of a kernel's candidates by timing them on the device that will run it, once per
 * (kernel, shape, adapter): the result goes to device.kernelChoices, which remembers it across
 * runs (src/device/kernel-choices.ts). Runs when a model is compiled, never in a step.
 *
 * How: each candidate runs once as a warm-up (first use of its pipeline), timed only to drop a
 * candidate whose warm-up took more than CUT_FACTOR times the best one's; then ROUNDS rounds
 * over the remaining candidates in turn (so that a change of the load other jobs put on a
 * shared CPU weighs on all alike), each of as many runs as fill TARGET_MS / ROUNDS, within
 * [MIN_RUNS, MAX_RUNS].
 *
 * Judging under load: other jobs only ever add time to a round, never take it away, so a
 * candidate's time is the minimum of its rounds (its least disturbed one), and the spread of
 * its rounds, from that minimum to their median, is how far the load moved it. The median
 * alone, with 3 rounds, is decided by the load whenever two of them are hit: on a loaded
 * machine (load 12–15 on 2 cores) the median picked 'vec4' on 512³ at 55% of 'quads' speed.
 * A minimum is settled when a second round agrees with it within MARGIN. While the leader's
 * spread reaches another candidate's minimum (their spreads overlap), or a candidate is not
 * settled, or the leader is not the default, more rounds run over those candidates and the
 * leader (at most MAX_EXTRA_ROUNDS of half the runs, stopping once they have run EXTRA_MS of
 * timed work): each round is another chance of an undisturbed time, and overturning the
 * default (chosen by earlier measurement) takes all the rounds the bound allows. Then the
 * default (the fallback) is kept unless the leader beats it by more than MARGIN and their
 * spreads no longer overlap: what is still ambiguous stays with the default.
 *
 * The bound on time: the caller keeps each run small (the matmul times a proxy of at most 2^25
 * FLOPs and 2^20 elements, see matmul.ts), so a shape costs at most candidates × (1 + ROUNDS)
 * runs plus EXTRA_MS, or about candidates × (warm-up + TARGET_MS) + EXTRA_MS for short ones.
 * Timing is by timestamp queries where the device has them, else by the wall clock around a
 * submit and onSubmittedWorkDone (src/runtime/timing.ts).
 */
import type { Device } from '../device/device.js';
import { TUNER_RULE, type KernelChoice } from '../device/kernel-choices.js';
import type { Dispatch } from './dispatch.js';
import { DispatchTimer, median } from './timing.js';

export const MIN_RUNS = 1;
export const MAX_RUNS = 8;
export const ROUNDS = 3;
export const MAX_EXTRA_ROUNDS = 6;
export const TARGET_MS = 30;
export const EXTRA_MS = 3 * TARGET_MS;
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

/** A timed candidate's rounds, in ms per call. */
export interface RoundTimes {
  /** Its time: the least disturbed round. */
  min: number;
  /** The next least: within MARGIN of min, two rounds agree and the minimum is settled. */
  second: number;
  /** The top of its spread. */
  median: number;
}

/**
 * The candidate to use: from the cache, by timing (tuning 'measure'), or the fallback. In
 * 'measure' mode a stored choice made by an older rule than TUNER_RULE is timed afresh; in
 * 'cached' mode it is used (it is still a measurement, and 'cached' times nothing).
 */
export async function chooseCandidate<K extends string>(device: Device, problem: TuningProblem<K>): Promise<K> {
  const choices = device.kernelChoices;
  const { candidates, fallback } = problem;
  if (choices.mode === 'off' || candidates.length <= 1) return candidates.length === 1 ? candidates[0] : fallback;
  const stored = choices.get(problem.key);
  // A stored kernel that is no longer a candidate (renamed, or a feature now off) is re-timed.
  const usable = stored && (candidates as readonly string[]).includes(stored.kernel);
  if (usable && (choices.mode === 'cached' || (stored.rule ?? 1) >= TUNER_RULE)) {
    choices.cacheHits++;
    return stored.kernel as K;
  }
  if (choices.mode === 'cached') return fallback;
  const choice = await timeCandidates(device, problem);
  choices.set(problem.key, choice);
  return choice.kernel as K;
}

/** What the tuner times with: a DispatchTimer, or a stand-in in tests. */
export type CallTimer = Pick<DispatchTimer, 'perCall'>;

/** A timing's raw result: each candidate's ms per call, per round (in order), and the warm-ups. */
export interface Measured {
  /** Per candidate that went past the warm-up: its rounds' ms per call. */
  rounds: Record<string, number[]>;
  /** Per candidate: its warm-up's ms (the only time of one dropped there). */
  warmups: Record<string, number>;
  timedShape?: string;
}

/** One candidate in the timed rounds. */
interface Live<K> {
  candidate: K;
  dispatches: Dispatch[];
  runs: number;
  /** ms per call, one per round. */
  times: number[];
}

async function timeCandidates<K extends string>(device: Device, problem: TuningProblem<K>): Promise<KernelChoice> {
  const measured = await measureCandidates(device, problem);
  const ms: Record<string, number> = { ...measured.warmups };
  const rounds: Record<string, RoundTimes> = {};
  for (const [candidate, times] of Object.entries(measured.rounds)) {
    rounds[candidate] = roundTimes(times);
    ms[candidate] = rounds[candidate].min;
  }
  const kernel = pick(rounds, problem.fallback);
  return { kernel, ms, rule: TUNER_RULE, ...(measured.timedShape ? { timedShape: measured.timedShape } : {}) };
}

/** The warm-ups, ROUNDS rounds and the extra rounds of the file comment; `timer` for tests. */
export async function measureCandidates<K extends string>(device: Device, problem: TuningProblem<K>, timer: CallTimer = new DispatchTimer(device)): Promise<Measured> {
  const setup = await problem.prepare();
  const warmups: Record<string, number> = {};
  try {
    // Warm-up: one run each; a candidate far slower than the best so far goes no further.
    const live: Live<K>[] = [];
    let bestWarmup = Infinity;
    for (const candidate of problem.candidates) {
      const dispatches = await setup.build(candidate);
      device.kernelChoices.timed++;
      const warmup = (await timer.perCall(dispatches, runs(1))).ms;
      warmups[candidate] = warmup;
      if (warmup > CUT_FACTOR * bestWarmup) continue;
      bestWarmup = Math.min(bestWarmup, warmup);
      const timedRuns = Math.min(MAX_RUNS, Math.max(MIN_RUNS, Math.round(TARGET_MS / ROUNDS / Math.max(warmup, 1e-3))));
      live.push({ candidate, dispatches, runs: timedRuns, times: [] });
    }
    /** One round over `among` in turn, of `share` of each one's runs; returns the ms of timed work it ran. */
    const round = async (among: readonly Live<K>[], share: number) => {
      let spent = 0;
      for (const c of among) {
        const reps = Math.max(1, Math.round(c.runs * share));
        const t = (await timer.perCall(c.dispatches, runs(reps))).ms;
        c.times.push(t);
        spent += t * reps;
      }
      return spent;
    };
    // Rounds over the candidates in turn, so that a change of load weighs on all alike.
    for (let r = 0; r < ROUNDS; r++) await round(live, 1);
    // Extra rounds of half the runs: more chances of an undisturbed round within EXTRA_MS.
    let extraMs = 0;
    for (let r = 0; r < MAX_EXTRA_ROUNDS && extraMs < EXTRA_MS; r++) {
      const contenders = contending(live, problem.fallback);
      if (contenders.length < 2) break;
      extraMs += await round(contenders, 1 / 2);
    }
    const rounds: Record<string, number[]> = {};
    for (const c of live) rounds[c.candidate] = c.times;
    return { rounds, warmups, ...(setup.timedShape ? { timedShape: setup.timedShape } : {}) };
  } finally {
    setup.dispose();
  }
}

export function roundTimes(times: readonly number[]): RoundTimes {
  const sorted = [...times].sort((a, b) => a - b);
  return { min: sorted[0], second: sorted[1] ?? sorted[0], median: median(sorted) };
}

/** Whether two of the rounds agree on the minimum (within MARGIN): one undisturbed round alone may not have happened. */
export function settled(t: RoundTimes): boolean {
  return t.second <= t.min * (1 + MARGIN);
}

/**
 * The candidates more rounds could still reorder: every one whose minimum the leader's spread
 * reaches, every one not yet settled, and the fallback when it is not the leader (overturning
 * the default takes every round the bound allows); with the leader, so that the rounds stay
 * interleaved. None (an empty list) when the leader stands alone and is settled.
 */
function contending<K>(live: readonly Live<K>[], fallback: K): Live<K>[] {
  const stats = live.map((c) => roundTimes(c.times));
  const leader = stats.reduce((best, s) => (s.min < best.min ? s : best), stats[0]);
  const open = live.filter((c, i) => stats[i] !== leader && (stats[i].min <= leader.median || !settled(stats[i]) || c.candidate === fallback));
  if (open.length === 0 && settled(leader)) return [];
  return live.filter((c, i) => stats[i] === leader || open.includes(c));
}

/**
 * The candidate with the least time (minimum over rounds), unless the fallback (the default,
 * chosen by earlier measurement) is still level with it: within MARGIN of it, or its minimum
 * within the leader's spread. A fallback not among the timed (dropped at the warm-up) is no
 * reason to keep it.
 */
export function pick<K extends string>(rounds: Record<string, RoundTimes>, fallback: K): K {
  const timed = Object.keys(rounds) as K[];
  if (timed.length === 0) return fallback;
  const best = timed.reduce((b, c) => (rounds[c].min < rounds[b].min ? c : b));
  const kept = rounds[fallback];
  if (kept && (kept.min <= rounds[best].min * (1 + MARGIN) || kept.min <= rounds[best].median)) return fallback;
  return best;
}

/**
 * The cache key of a tuned choice, one rule for every kernel family: the family, a fingerprint
 * of every shader whose time the choice depended on, and the shape. `shaders` must hold the
 * text of every shader any candidate dispatches while it is timed (a conv algorithm's chains:
 * Winograd's, im2col's and the matmul's), so that a change to any of them times the choice
 * afresh instead of reusing one made against the old code. Order and repeats do not matter.
 */
export function tuningKey(family: string, shaders: readonly string[], shape: string): string {
  let version = fingerprints.get(shaders);
  if (version === undefined) {
    version = codeVersion([...new Set(shaders)].sort().join('\n'));
    fingerprints.set(shaders, version);
  }
  return `${family}@${version} ${shape}`;
}

/** Each shader list's fingerprint, computed once per list (the lists are module constants). */
const fingerprints = new WeakMap<readonly string[], string>();

/** A short fingerprint of a text (FNV-1a, 8 hex digits). */
function codeVersion(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Exactly `reps` timed calls and no warm-up. */
function runs(reps: number) {
  return { warmup: 0, reps, seconds: 0, minReps: reps, maxReps: reps, onceAboveMs: Infinity };
}
