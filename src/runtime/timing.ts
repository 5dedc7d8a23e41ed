/**
 * Timing dispatches on the engine's device (the bench and the kernel tuner).
 *
 * With timestamp queries (device.timestamps), every call gets a compute pass of its own whose
 * beginning and end write GPU timestamps; a call's time is the interquartile mean over the
 * repetitions (robust to the other jobs that share this machine's CPU). On SwiftShader the
 * timestamps are meaningful — it runs the passes one after another on the CPU and stamps them
 * with its clock; pass times agree with the wall clock around the submit — but Dawn quantizes
 * them (65.5 µs steps here; browsers may quantize them to 100 µs). A pass shorter than a few
 * steps reads 0 or one step, and the interquartile mean of such readings is biased low — 0 ms
 * when most passes read 0, as the bench's --quick kernels did on a faster CPU in CI. So a
 * pass holds as many calls as it takes to span many steps (`timeResolvedPasses`).
 *
 * Without them: the wall clock from one submit of all repetitions, recorded back to back in
 * one command buffer, to the queue's completion; the per-call overhead is included.
 */
import type { Device } from '../device/device.js';
import type { Dispatch } from './dispatch.js';

export type Clock = 'gpu-timestamps' | 'wall-clock';

/** Dawn's limit on queries in one query set. */
const MAX_QUERIES = 4096;

/** A pass is long enough for its timestamps when its median reading spans this many of their steps… */
export const RESOLVED_STEPS = 16;
/** …or lasts this long (20 steps of the 100 µs to which browsers may quantize timestamps). */
export const LONG_PASS_MS = 2;
/** Until then the calls in a pass grow by this factor, up to MAX_CALLS_PER_PASS. */
const CALLS_GROWTH = 8;
const MAX_CALLS_PER_PASS = 4096;
/** The interquartile mean needs a few passes; fewer only when fewer calls were asked for. */
const MIN_PASSES = 4;

export interface RepOptions {
  /** Untimed calls first (pipelines' first use, caches). */
  warmup: number;
  /** Timed calls; undefined: as many as fill `seconds`, within [minReps, maxReps]. */
  reps?: number;
  seconds: number;
  minReps: number;
  maxReps: number;
  /** A call that takes longer than this is timed once, by its warm-up call. */
  onceAboveMs: number;
}

/** Mean of the middle half of the values (all of them when fewer than 4). */
export function interquartileMean(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const cut = sorted.length >= 4 ? Math.floor(sorted.length / 4) : 0;
  const middle = sorted.slice(cut, sorted.length - cut);
  return middle.reduce((a, b) => a + b, 0) / middle.length;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Reads `passes` timestamped passes of `callsPerPass` calls each: each pass's milliseconds.
 */
export type ReadPasses = (callsPerPass: number, passes: number) => Promise<number[]>;

/** The smallest step between timestamp readings seen so far (Infinity before any step). */
export interface TimestampSteps {
  smallestMs: number;
}

/**
 * Milliseconds per call from about `reps` calls in timestamped passes: one call per pass at
 * first, CALLS_GROWTH times as many per pass while the passes are too short for the
 * timestamps' steps (`steps` learns their size from the readings: the smallest gap between
 * distinct readings, 0 included). The interquartile mean over the passes, divided by the calls
 * in each; `reps` in the result counts the calls timed.
 */
export async function timeResolvedPasses(read: ReadPasses, reps: number, steps: TimestampSteps): Promise<{ ms: number; reps: number }> {
  for (let callsPerPass = 1; ; callsPerPass *= CALLS_GROWTH) {
    const passes = Math.max(Math.min(reps, MIN_PASSES), Math.ceil(reps / callsPerPass));
    const readings = await read(callsPerPass, passes);
    if (spansSteps(readings, steps) || callsPerPass * CALLS_GROWTH > MAX_CALLS_PER_PASS) {
      return { ms: interquartileMean(readings) / callsPerPass, reps: passes * callsPerPass };
    }
  }
}

/**
 * One dispatch's milliseconds from its readings over several runs of a sequence: their median,
 * which a run disturbed by other jobs does not move; or, where the readings are too short for
 * the timestamps' steps, their mean (a median of readings of 0 or one step is either, a mean of
 * them is unbiased).
 */
export function dispatchTime(readings: readonly number[], steps: TimestampSteps): number {
  return spansSteps(readings, steps) ? median(readings) : readings.reduce((a, b) => a + b, 0) / readings.length;
}

/** Whether the median reading spans RESOLVED_STEPS steps or LONG_PASS_MS; learns the step from the readings. */
function spansSteps(readings: readonly number[], steps: TimestampSteps): boolean {
  steps.smallestMs = Math.min(steps.smallestMs, smallestStep(readings));
  const middle = median(readings);
  return middle >= LONG_PASS_MS || middle >= RESOLVED_STEPS * steps.smallestMs;
}

/** The smallest positive gap between the sorted readings and 0 (Infinity when all read 0). */
function smallestStep(readings: readonly number[]): number {
  const sorted = [0, ...readings].sort((a, b) => a - b);
  let smallest = Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const gap = sorted[i] - sorted[i - 1];
    if (gap > 0) smallest = Math.min(smallest, gap);
  }
  return smallest;
}

export class DispatchTimer {
  readonly clock: Clock;
  /** The timestamps' step, learnt from every reading this timer takes. */
  private readonly steps: TimestampSteps = { smallestMs: Infinity };

  constructor(private readonly device: Device, clock?: Clock) {
    this.clock = clock ?? (device.timestamps ? 'gpu-timestamps' : 'wall-clock');
    if (this.clock === 'gpu-timestamps' && !device.timestamps) throw new Error('this adapter has no timestamp queries');
  }

  /**
   * Milliseconds per call, where one call is `call` (one kernel's dispatches) in order. The
   * warm-up calls are timed too: their time chooses the number of repetitions, and a call
   * longer than `onceAboveMs` is not repeated at all: its warm-up call is the measurement
   * (first-use costs are milliseconds, nothing next to seconds).
   */
  async perCall(call: readonly Dispatch[], options: RepOptions): Promise<{ ms: number; reps: number }> {
    // Choosing the number of repetitions needs one call's time: then at least one warm-up call.
    const warmup = options.reps === undefined ? Math.max(1, options.warmup) : options.warmup;
    const warmMs = warmup > 0 ? (await this.callTimes(call, warmup)).at(-1)! : 0;
    if (options.reps === undefined && warmMs > options.onceAboveMs) return { ms: warmMs, reps: 1 };
    const fill = Math.round((options.seconds * 1000) / Math.max(warmMs, 1e-3));
    const reps = options.reps ?? Math.min(options.maxReps, Math.max(options.minReps, fill));
    if (this.clock === 'wall-clock') return { ms: (await this.wallClock(call, reps)) / reps, reps };
    const read: ReadPasses = (callsPerPass, passes) => {
      const group = Array.from({ length: callsPerPass }, () => call).flat();
      return this.passTimes(Array.from({ length: passes }, () => group));
    };
    return timeResolvedPasses(read, reps, this.steps);
  }

  /** The time of each of `times` calls: by timestamps, or the wall clock's mean for all. */
  private async callTimes(call: readonly Dispatch[], times: number): Promise<number[]> {
    if (this.clock === 'gpu-timestamps') return this.passTimes(Array.from({ length: times }, () => call));
    const ms = (await this.wallClock(call, times)) / times;
    return new Array<number>(times).fill(ms);
  }

  /**
   * Milliseconds of each dispatch of a sequence (a whole training step), each in its own
   * pass, over `runs` runs of the sequence (`dispatchTime`: the median, so that one slow run,
   * when another job takes the CPU, does not count; the mean for dispatches shorter than the
   * timestamps resolve). With the wall clock, each dispatch is timed alone instead, over
   * `runs` repetitions.
   */
  async perDispatch(sequence: readonly Dispatch[], runs: number): Promise<number[]> {
    if (this.clock === 'wall-clock') {
      const times: number[] = [];
      for (const d of sequence) times.push((await this.wallClock([d], runs)) / runs);
      return times;
    }
    const samples: number[][] = sequence.map(() => []);
    for (let run = 0; run < runs; run++) {
      const times = await this.passTimes(sequence.map((d) => [d]));
      times.forEach((t, i) => samples[i].push(t));
    }
    return samples.map((readings) => dispatchTime(readings, this.steps));
  }

  /** Wall-clock milliseconds of `times` calls recorded into one command buffer, one submit. */
  private async wallClock(call: readonly Dispatch[], times: number): Promise<number> {
    const gpu = this.device.gpu;
    const encoder = gpu.createCommandEncoder({ label: 'timing' });
    const pass = encoder.beginComputePass({ label: 'timing' });
    for (let i = 0; i < times; i++) record(pass, call);
    pass.end();
    const start = performance.now();
    gpu.queue.submit([encoder.finish()]);
    await gpu.queue.onSubmittedWorkDone();
    const ms = performance.now() - start;
    this.device.throwIfFailed();
    return ms;
  }

  /** GPU milliseconds of each group of dispatches, each group in its own timestamped pass. */
  private async passTimes(groups: readonly (readonly Dispatch[])[]): Promise<number[]> {
    const times: number[] = [];
    const perSubmit = MAX_QUERIES / 2;
    for (let first = 0; first < groups.length; first += perSubmit) {
      times.push(...(await this.passTimesOnce(groups.slice(first, first + perSubmit))));
    }
    return times;
  }

  private async passTimesOnce(groups: readonly (readonly Dispatch[])[]): Promise<number[]> {
    const gpu = this.device.gpu;
    const count = groups.length * 2;
    const querySet = gpu.createQuerySet({ label: 'timestamps', type: 'timestamp', count });
    const resolved = gpu.createBuffer({ label: 'timestamps', size: count * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
    const readback = gpu.createBuffer({ label: 'timestamps readback', size: count * 8, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    try {
      const encoder = gpu.createCommandEncoder({ label: 'timing' });
      groups.forEach((group, i) => {
        const pass = encoder.beginComputePass({
          label: 'timing',
          timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
        });
        record(pass, group);
        pass.end();
      });
      encoder.resolveQuerySet(querySet, 0, count, resolved, 0);
      encoder.copyBufferToBuffer(resolved, 0, readback, 0, count * 8);
      gpu.queue.submit([encoder.finish()]);
      await readback.mapAsync(GPUMapMode.READ);
      this.device.throwIfFailed();
      const stamps = new BigInt64Array(readback.getMappedRange().slice(0));
      readback.unmap();
      return groups.map((_, i) => Math.max(0, Number(stamps[2 * i + 1] - stamps[2 * i])) / 1e6);
    } finally {
      querySet.destroy();
      resolved.destroy();
      readback.destroy();
    }
  }
}

function record(pass: GPUComputePassEncoder, dispatches: readonly Dispatch[]): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
  }
}
