/**
 * Timing short kernels by quantized GPU timestamps (src/runtime/timing.ts). Dawn on SwiftShader
 * stamps passes in 65.5 µs steps; a kernel shorter than a step read 0 in most one-call passes,
 * and the interquartile mean of those readings was 0 ms (the bench's --quick run in CI:
 * `$.kernels[54].ms = 0`). The simulated clock below stamps like that: a pass of duration d
 * starting at a random phase reads the number of step boundaries it crosses, times the step,
 * so a reading's mean is d while most readings of a short pass are 0.
 */
import { describe, expect, it } from 'vitest';
import { matmul } from '../../src/kernels/matmul.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { dispatchTime, DispatchTimer, interquartileMean, median, timeResolvedPasses, type ReadPasses } from '../../src/runtime/timing.js';
import { rng, testDevice } from '../helpers/gpu.js';

const STEP_MS = 0.0655;

/** A clock of STEP_MS steps timing calls of `callMs` each; records the calls per pass it was asked for. */
function quantizedClock(callMs: number, seed: number): { read: ReadPasses; asked: number[] } {
  const next = rng(seed);
  const asked: number[] = [];
  const read: ReadPasses = async (callsPerPass, passes) => {
    asked.push(callsPerPass);
    return Array.from({ length: passes }, () => {
      const phase = next() * STEP_MS;
      return Math.floor((phase + callsPerPass * callMs) / STEP_MS) * STEP_MS;
    });
  };
  return { read, asked };
}

describe('timing by quantized timestamps', () => {
  it('one call per pass reads 0 for a 10 µs kernel (the old way); passes of more calls time it to 2%', async () => {
    const clock = quantizedClock(0.01, 1);
    const oneCallPerPass = await clock.read(1, 20);
    expect(interquartileMean(oneCallPerPass)).toBeLessThan(0.005);

    const timed = await timeResolvedPasses(quantizedClock(0.01, 2).read, 20, { smallestMs: Infinity });
    expect(Math.abs(timed.ms - 0.01) / 0.01).toBeLessThan(0.02);
    expect(timed.reps).toBeGreaterThanOrEqual(20);
  });

  it('kernels of 3 µs to 0.5 ms come out within 3% on the quantized clock', async () => {
    for (const [i, callMs] of [0.003, 0.03, 0.2, 0.5].entries()) {
      const timed = await timeResolvedPasses(quantizedClock(callMs, 10 + i).read, 20, { smallestMs: Infinity });
      expect(Math.abs(timed.ms - callMs) / callMs, `${callMs} ms`).toBeLessThan(0.03);
    }
  });

  it('a kernel that spans many steps keeps one call per pass, as many passes as calls asked for', async () => {
    const clock = quantizedClock(3, 5);
    const timed = await timeResolvedPasses(clock.read, 7, { smallestMs: Infinity });
    expect(clock.asked).toEqual([1]);
    expect(timed.reps).toBe(7);
    expect(Math.abs(timed.ms - 3) / 3).toBeLessThan(0.03);
  });

  it('the step learnt from earlier readings decides at once for a later kernel', async () => {
    const steps = { smallestMs: Infinity };
    await timeResolvedPasses(quantizedClock(0.01, 7).read, 20, steps);
    expect(steps.smallestMs).toBeCloseTo(STEP_MS, 6);
    // 1.2 ms passes span 18 steps: resolved with one call per pass.
    const clock = quantizedClock(1.2, 8);
    await timeResolvedPasses(clock.read, 20, steps);
    expect(clock.asked).toEqual([1]);
  });

  it("a step's breakdown: 60 dispatches of 5–25 µs and one of 5 ms over 3 runs sum to their time to 10% (the median of each was 20% off or more)", async () => {
    const dispatchMs = [...Array.from({ length: 60 }, (_, i) => 0.005 + (0.02 * i) / 59), 5];
    const readings = await Promise.all(dispatchMs.map((ms, i) => quantizedClock(ms, 100 + i).read(1, 3)));
    const steps = { smallestMs: Infinity };
    const times = readings.map((r) => dispatchTime(r, steps));
    const shortTotal = dispatchMs.slice(0, 60).reduce((a, b) => a + b, 0);
    const short = times.slice(0, 60).reduce((a, b) => a + b, 0);
    expect(Math.abs(short - shortTotal) / shortTotal).toBeLessThan(0.1);
    expect(Math.abs(times[60] - 5)).toBeLessThanOrEqual(STEP_MS);
    // The 5 ms dispatch is timed by its median, which a disturbed run does not move.
    expect(dispatchTime([5, 5.0655, 40], steps)).toBe(5.0655);
    const shortByMedians = readings.slice(0, 60).reduce((sum, r) => sum + median(r), 0);
    expect(Math.abs(shortByMedians - shortTotal) / shortTotal).toBeGreaterThan(0.2);
  });

  it('on this device, a 1×1×1 matmul times above 0 ms with the bench --quick settings', async () => {
    const gpu = await testDevice();
    const io = { a: gpu.createBuffer('a', 4), b: gpu.createBuffer('b', 4), c: gpu.createBuffer('c', 4) };
    const scratch = new ScratchOwner(gpu);
    try {
      const call = await matmul(gpu, { m: 1, n: 1, k: 1, kernel: 'rows4' }, io, scratch.scratch);
      const timed = await new DispatchTimer(gpu).perCall(call, { warmup: 1, seconds: 0.02, minReps: 2, maxReps: 20, onceAboveMs: 1000 });
      expect(Number.isFinite(timed.ms) && timed.ms > 0, `${timed.ms} ms`).toBe(true);
    } finally {
      Object.values(io).forEach((b) => b.destroy());
      scratch.destroy();
    }
  });
});
