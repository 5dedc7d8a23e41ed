/**
 * Cosine decay (Keras' CosineDecay): the rate per step from its formula, and the fit callback
 * that sets it: step t of a fit trains at rate(t), so a fit with the callback ends with the same
 * weights as steps taken one by one with the rate set by hand before each.
 */
import { describe, expect, it } from 'vitest';
import { Sequential, cosineDecay, cosineDecayRate, layers } from '../../src/index.js';
import { testDevice } from '../helpers/gpu.js';

describe('cosine decay', () => {
  it('follows initial × ((1 − alpha) × ½(1 + cos(π t / T)) + alpha), flat after T steps', () => {
    const o = { initialLearningRate: 0.002, decaySteps: 8 };
    expect(cosineDecayRate(o, 0)).toBeCloseTo(0.002, 12);
    expect(cosineDecayRate(o, 2)).toBeCloseTo(0.002 * 0.5 * (1 + Math.SQRT1_2), 12); // cos(π/4)
    expect(cosineDecayRate(o, 4)).toBeCloseTo(0.001, 12);
    expect(cosineDecayRate(o, 8)).toBe(0);
    expect(cosineDecayRate(o, 20)).toBe(0);
    const floor = { ...o, alpha: 0.1 };
    expect(cosineDecayRate(floor, 4)).toBeCloseTo(0.002 * (0.9 * 0.5 + 0.1), 12);
    expect(cosineDecayRate(floor, 9)).toBeCloseTo(0.0002, 12);
  });

  it('refuses options that name no schedule', () => {
    expect(() => cosineDecay({ initialLearningRate: 0, decaySteps: 4 })).toThrow('initialLearningRate must be a positive number, got 0');
    expect(() => cosineDecay({ initialLearningRate: 0.1, decaySteps: 2.5 })).toThrow('decaySteps must be a positive integer, got 2.5');
    expect(() => cosineDecay({ initialLearningRate: 0.1, decaySteps: 4, alpha: 2 })).toThrow('alpha must be between 0 and 1, got 2');
  });

  it('in fit, step t trains at rate(t): the same weights as steps taken by hand', async () => {
    const device = await testDevice();
    const build = async () => {
      const m = new Sequential([layers.dense({ units: 5, activation: 'relu', inputShape: [7] }), layers.dense({ units: 3, activation: 'softmax' })]);
      await m.compile({ device, optimizer: { kind: 'sgd', learningRate: 0.5 }, seed: 3 });
      return m;
    };
    let seed = 7;
    const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const x = Float32Array.from({ length: 6 * 7 }, next);
    const y = Uint8Array.from({ length: 6 }, (_, i) => i % 3);
    const schedule = { initialLearningRate: 0.5, decaySteps: 3 };

    // One batch of all six samples per epoch: every step sees the same samples (fit only reorders them).
    const fitted = await build();
    await fitted.fit(x, y, { batchSize: 6, epochs: 4, verbose: 0, callbacks: [cosineDecay(schedule)] });
    const byHand = await build();
    for (let t = 0; t < 4; t++) {
      byHand.trainingState().optimizer.setLearningRate(cosineDecayRate(schedule, t));
      await byHand.trainOnBatch(x, y);
    }
    // With the callback one step ahead (rate(t + 1) at step t) this fails by 0.014 (checked).
    const [a, b] = [await fitted.getWeights(), await byHand.getWeights()];
    for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) expect(a[i][j]).toBeCloseTo(b[i][j], 5);
    expect(fitted.trainingState().optimizer.config.learningRate).toBe(cosineDecayRate(schedule, 4));
    fitted.dispose();
    byHand.dispose();
  });
});
