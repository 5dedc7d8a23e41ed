/**
 * Which clock the bench times kernels with: GPU timestamps where the adapter has them and they
 * agree with the wall clock on one matmul, else the wall clock. On a CPU adapter (SwiftShader)
 * the timestamps could be anything; where they agree they are the better clock, since the
 * per-dispatch breakdown of a training step needs them (by the wall clock each dispatch is
 * timed alone, with a submit and a wait of its own, which more than doubled mnist-conv3's sum).
 *
 * The check is side by side, as every measurement here must be: CLOCK_CHECK_ROUNDS rounds, each
 * timing CLOCK_CHECK_CALLS calls by one clock and then by the other (the order alternating), and
 * each clock's figure is the minimum over its rounds. Other jobs on this CPU only ever add time,
 * so the least disturbed round is the one to compare. The earlier check timed 5 calls by the
 * timestamps and then 5 by the wall clock, once: a burst of load during either decided the
 * clock of the whole run (28.7 against 13.0 ms on 256³ in the 2026-11-27 run; in 6 processes at
 * load 5.9–6.3, 3 of 18 such checks passed the factor of 1.5, where this check's minima gave
 * 0.66–1.00 in the same processes).
 */
import type { Device } from '../src/device/device.js';
import { DispatchTimer } from '../src/runtime/timing.js';
import { buildCase, describe } from './kernels.js';
import type { BenchResults } from './results-types.js';
import { square } from './shapes.js';

export const CLOCK_CHECK_ROUNDS = 5;
export const CLOCK_CHECK_CALLS = 3;
/** The clocks agree when their minima are within this factor of each other. */
export const CLOCKS_AGREE_WITHIN = 1.5;

export type ClockCheck = NonNullable<BenchResults['clockCheck']>;

/** Each clock's least disturbed round, and whether the two agree (both positive, within CLOCKS_AGREE_WITHIN). */
export function compareClocks(shape: string, timestampRounds: readonly number[], wallRounds: readonly number[]): ClockCheck & { agree: boolean } {
  const timestampsMs = Math.min(...timestampRounds);
  const wallMs = Math.min(...wallRounds);
  const agree = timestampsMs > 0 && wallMs > 0 && Math.max(timestampsMs / wallMs, wallMs / timestampsMs) < CLOCKS_AGREE_WITHIN;
  return { shape, timestampsMs, wallMs, rounds: { timestamps: [...timestampRounds], wall: [...wallRounds] }, agree };
}

/** The timer for the run's kernels, and the check that chose it (none without timestamps). */
export async function chooseClock(device: Device, size: number): Promise<{ timer: DispatchTimer; clockCheck?: ClockCheck }> {
  const wall = new DispatchTimer(device, 'wall-clock');
  if (!device.timestamps) return { timer: wall };
  const stamps = new DispatchTimer(device, 'gpu-timestamps');
  const built = await buildCase(device, describe({ family: 'matmul', gemm: square(size) }, 'clock check'));
  try {
    const calls = (warmup: number) => ({ warmup, reps: CLOCK_CHECK_CALLS, seconds: 0, minReps: 1, maxReps: CLOCK_CHECK_CALLS, onceAboveMs: Infinity });
    const timestampRounds: number[] = [];
    const wallRounds: number[] = [];
    for (let round = 0; round < CLOCK_CHECK_ROUNDS; round++) {
      // The first round warms both up; later ones alternate which clock goes first.
      const warmup = round === 0 ? 1 : 0;
      const byStamps = async () => timestampRounds.push((await stamps.perCall(built.dispatches, calls(warmup))).ms);
      const byWall = async () => wallRounds.push((await wall.perCall(built.dispatches, calls(warmup))).ms);
      if (round % 2 === 0) await byStamps().then(byWall);
      else await byWall().then(byStamps);
    }
    const { agree, ...clockCheck } = compareClocks(`${size}×${size}×${size}`, timestampRounds, wallRounds);
    return { timer: agree ? stamps : wall, clockCheck };
  } finally {
    for (const b of built.buffers) b.destroy();
  }
}
