/**
 * Learning-rate schedules (src/nn/schedules.ts): the rate of each Keras schedule at a range of
 * steps against Keras' own, computed by Keras 3 (test/fixtures/keras-files/generate.py,
 * "schedules"); an optimizer with a schedule trains step t at rate(t), in fit and trainOnBatch
 * alike; bad schedules are refused by name.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sequential, layers, scheduleRate, type LearningRateSchedule } from '../../src/index.js';
import { scheduleFromKeras, scheduleToKeras } from '../../src/io/keras-file/schedule.js';
import { testDevice } from '../helpers/gpu.js';

const expected = JSON.parse(readFileSync('test/fixtures/keras-files/expected.json', 'utf8'));

describe('learning-rate schedules', () => {
  const cases: { schedule: Record<string, unknown>; steps: number[]; rates: number[] }[] = expected.schedules;
  for (const { schedule, steps, rates } of cases) {
    const keras = schedule as { class_name: string; config: Record<string, unknown> };
    it(`${keras.class_name} ${JSON.stringify(keras.config)}: Keras' rate at every step, and the config written back as Keras wrote it`, () => {
      const parsed = scheduleFromKeras(keras);
      if (!('schedule' in parsed)) throw new Error(parsed.unsupported);
      // Keras computes in f32, its intermediate values at the scale of the schedule's largest
      // rate: where the rate has fallen far below it (1 − p near 1, a cosine near −1) the
      // absolute error is a few f32 ulp of that scale (6e-8 each), not of the rate.
      const scale = Math.max(...rates);
      steps.forEach((t, i) => expect(Math.abs(scheduleRate(parsed.schedule, t) - rates[i]), `step ${t}`).toBeLessThanOrEqual(5e-7 * rates[i] + 2.4e-7 * scale));
      expect(scheduleToKeras(parsed.schedule)).toEqual(schedule);
    });
  }

  it('an optimizer with a schedule trains step t at rate(t), in fit and in trainOnBatch, and a set rate stays until the next step', async () => {
    const device = await testDevice();
    const schedule: LearningRateSchedule = { kind: 'piecewiseConstantDecay', boundaries: [1, 2], values: [0.5, 0.2, 0.05] };
    const build = async (withSchedule: boolean) => {
      const m = new Sequential([layers.dense({ units: 4, activation: 'relu', inputShape: [5] }), layers.dense({ units: 3, activation: 'softmax' })]);
      await m.compile({ device, optimizer: withSchedule ? { kind: 'sgd', schedule } : { kind: 'sgd', learningRate: 0.5 }, seed: 4 });
      return m;
    };
    const x = Float32Array.from({ length: 6 * 5 }, (_, i) => ((i * 37) % 11) / 11);
    const y = Uint8Array.from({ length: 6 }, (_, i) => i % 3);
    const scheduled = await build(true);
    expect(scheduled.trainingState().optimizer.config.learningRate).toBe(0.5); // the rate of step 0, before any
    await scheduled.fit(x, y, { batchSize: 6, epochs: 2, verbose: 0 });
    await scheduled.trainOnBatch(x, y);
    await scheduled.trainOnBatch(x, y);
    const byHand = await build(false);
    for (const rate of [0.5, 0.5, 0.2, 0.05]) {
      byHand.trainingState().optimizer.setLearningRate(rate);
      await byHand.trainOnBatch(x, y);
    }
    const [a, b] = [await scheduled.getWeights(), await byHand.getWeights()];
    for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) expect(a[i][j]).toBeCloseTo(b[i][j], 6);
    expect(scheduled.trainingState().optimizer.config.learningRate).toBe(0.05);
    // The rates one step early (rate(t + 1) at step t) give other weights: the comparison above can tell.
    const early = await build(false);
    for (const rate of [0.5, 0.2, 0.05, 0.05]) {
      early.trainingState().optimizer.setLearningRate(rate);
      await early.trainOnBatch(x, y);
    }
    const c = await early.getWeights();
    expect(c.some((w, i) => w.some((v, j) => Math.abs(v - a[i][j]) > 1e-4))).toBe(true);
    early.dispose();
    scheduled.dispose();
    byHand.dispose();
  });

  it('refuses schedules Keras would not build, naming the argument', async () => {
    const device = await testDevice();
    const model = new Sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
    const bad: [unknown, RegExp][] = [
      [{ kind: 'stepDecay' }, /sgd: schedule: expected \{ kind: exponentialDecay \| inverseTimeDecay \| piecewiseConstantDecay \| polynomialDecay \| cosineDecay \| cosineDecayRestarts, \.\.\. \}/],
      [{ kind: 'exponentialDecay', initialLearningRate: 0.1, decayRate: 0.5 }, /exponentialDecay needs decaySteps/],
      [{ kind: 'exponentialDecay', initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 }, /exponentialDecay decaySteps must be a number > 0, got 0/],
      [{ kind: 'piecewiseConstantDecay', boundaries: [5, 3], values: [1, 2, 3] }, /boundaries must increase/],
      [{ kind: 'piecewiseConstantDecay', boundaries: [5], values: [1] }, /needs one value more than boundaries/],
      [{ kind: 'cosineDecay', initialLearningRate: 0.1, decaySteps: 10, warmup: 3 }, /cosineDecay has no argument 'warmup'/],
    ];
    for (const [schedule, message] of bad) {
      await expect(model.compile({ device, optimizer: { kind: 'sgd', schedule } as never })).rejects.toThrow(message);
    }
    model.dispose();
  });
});
