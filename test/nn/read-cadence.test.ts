/**
 * fit's read-back cadence: fixed when progressEvery is given; by default it follows the time per
 * step, so that slow steps (SwiftShader's big models) are read back, and can be stopped, step by
 * step, and fast ones every 20 steps.
 */
import { describe, expect, it } from 'vitest';
import { Sequential, layers, type Callback } from '../../src/index.js';
import { MAX_EVERY, ReadCadence } from '../../src/nn/read-cadence.js';
import { randomFloats, testDevice } from '../helpers/gpu.js';

describe('ReadCadence', () => {
  it('a fixed cadence reads at the same steps of every epoch and ignores the timing', () => {
    const cadence = new ReadCadence(3);
    expect([0, 1, 2, 3, 4, 5].map((s) => cadence.due(s, 99))).toEqual([false, false, true, false, false, true]);
    cadence.readDone(3, 0);
    cadence.readDone(6, 60_000);
    expect(cadence.every).toBe(3);
  });

  it('the default starts at every step and sets the cadence from the time per step between two read-backs', () => {
    const cadence = new ReadCadence(undefined);
    expect(cadence.every).toBe(1);
    expect(cadence.due(0, 1)).toBe(true);
    cadence.readDone(1, 0);
    cadence.readDone(2, 6500); // 6.5 s a step (mnist-bn on SwiftShader): every step
    expect(cadence.every).toBe(1);
    cadence.readDone(6, 6500 + 4 * 250); // 250 ms a step: every 12 steps, about 3 s
    expect(cadence.every).toBe(12);
    expect([1, 11, 12].map((since) => cadence.due(10, since))).toEqual([false, false, true]);
    cadence.readDone(18, 7500 + 12 * 2); // 2 ms a step (a GPU): capped
    expect(cadence.every).toBe(MAX_EVERY);
  });

  it('restart() drops the previous read-back, so time spent outside the steps (validation) does not count', () => {
    const cadence = new ReadCadence(undefined);
    cadence.readDone(20, 0);
    cadence.readDone(40, 200);
    expect(cadence.every).toBe(MAX_EVERY);
    cadence.restart();
    cadence.readDone(60, 60_000); // a minute later, after validation
    expect(cadence.every).toBe(MAX_EVERY);
    cadence.readDone(80, 60_200);
    expect(cadence.every).toBe(MAX_EVERY);
  });
});

describe('fit with the default cadence', () => {
  const SAMPLES = 6;
  const x = randomFloats(SAMPLES * 16, 7, 0, 1);
  const y = Uint8Array.from({ length: SAMPLES }, (_, i) => i % 2);

  async function model(): Promise<Sequential> {
    const m = new Sequential([layers.flatten({ inputShape: [4, 4, 1] }), layers.dense({ units: 2, activation: 'softmax' })]);
    await m.compile({ device: await testDevice(), optimizer: 'sgd' });
    return m;
  }

  /** The samplesDone of every onProgress call, with `delayMs` spent after each batch. */
  async function progress(m: Sequential, batchSize: number, delayMs: number, progressEvery?: number): Promise<number[]> {
    const seen: number[] = [];
    const callback: Callback = {
      onProgress: ({ samplesDone }) => void seen.push(samplesDone),
      onBatchEnd: () => new Promise((resolve) => setTimeout(resolve, delayMs)),
    };
    await m.fit(x, y, { batchSize, epochs: 1, verbose: 0, callbacks: [callback], progressEvery });
    return seen;
  }

  it('reads back after every step when a step takes longer than 3 s', async () => {
    const m = await model();
    // Each step takes at least 3.1 s (the callback's delay): the cadence stays at one step.
    expect(await progress(m, 2, 3100)).toEqual([2, 4, 6]);
    m.dispose();
  }, 60_000);

  it('widens to every 20 steps when steps take milliseconds, keeps that for the next fit, and progressEvery still fixes it', async () => {
    const m = await model();
    const big = new Float32Array(60 * 16).map((_, i) => x[i % x.length]);
    const labels = Uint8Array.from({ length: 60 }, (_, i) => i % 2);
    const seen: number[] = [];
    await m.fit(big, labels, { batchSize: 1, epochs: 1, verbose: 0, callbacks: [{ onProgress: ({ samplesDone }) => void seen.push(samplesDone) }] });
    // Every step while the cadence is measured, then at most every MAX_EVERY (60 steps: ~5 reads).
    expect(seen.length).toBeLessThanOrEqual(10);
    expect(seen.at(-1)).toBe(60);
    // The cadence learnt stays with the model: a next short fit (a demo chunk) reads at its end only.
    expect(await progress(m, 1, 0)).toEqual([6]);
    expect(await progress(m, 1, 0, 2)).toEqual([2, 4, 6]);
    m.dispose();
  });
});
