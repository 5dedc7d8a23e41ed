/**
 * Keras' use_ema: the weights' moving average kept by the optimizer after every step, and the
 * weights set to it when fit ends (not after trainOnBatch), as Keras' fit does. The kernel's
 * average itself is checked against the float64 reference in test/kernels/optimizer.test.ts,
 * and against Keras' own in ema.keras (test/io/keras-file-fixtures.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { Sequential, layers, type OptimizerConfig } from '../../src/index.js';
import { testDevice } from '../helpers/gpu.js';

describe("the weights' moving average (useEma)", () => {
  it('fit ends with the weights set to the average of the weights after each step; trainOnBatch leaves them', async () => {
    const device = await testDevice();
    const optimizer: OptimizerConfig = { kind: 'sgd', learningRate: 0.5, momentum: 0.5, useEma: true, emaMomentum: 0.6 };
    const build = async () => {
      const m = new Sequential([layers.dense({ units: 4, activation: 'tanh', inputShape: [5] }), layers.dense({ units: 3, activation: 'softmax' })]);
      await m.compile({ device, optimizer, seed: 8 });
      return m;
    };
    const x = Float32Array.from({ length: 6 * 5 }, (_, i) => ((i * 29) % 13) / 13 - 0.4);
    const y = Uint8Array.from({ length: 6 }, (_, i) => (i * 2) % 3);
    // By hand: the weights after each of three steps on the whole batch, and their average as Keras keeps it.
    const byHand = await build();
    let average: Float64Array[] | undefined;
    for (let step = 1; step <= 3; step++) {
      await byHand.trainOnBatch(x, y);
      const weights = await byHand.getWeights();
      const momentum = step === 1 ? 0 : 0.6;
      average = weights.map((w, i) => Float64Array.from(w, (v, j) => momentum * (average ? average[i][j] : 0) + (1 - momentum) * v));
    }
    const stepped = await byHand.getWeights();
    // One batch of all six samples per epoch: the same three steps (fit only reorders the samples).
    const fitted = await build();
    await fitted.fit(x, y, { batchSize: 6, epochs: 3, verbose: 0 });
    const final = await fitted.getWeights();
    final.forEach((w, i) => w.forEach((v, j) => expect(v).toBeCloseTo(average![i][j], 6)));
    // trainOnBatch leaves the weights as the steps left them, away from their average.
    expect(stepped.some((w, i) => w.some((v, j) => Math.abs(v - average![i][j]) > 1e-3))).toBe(true);
    byHand.dispose();
    fitted.dispose();
  });

  it('refuses EMA options Keras refuses, by name', async () => {
    const device = await testDevice();
    const model = new Sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
    const bad: [OptimizerConfig, RegExp][] = [
      [{ kind: 'adam', emaMomentum: 0.9 }, /adam: emaMomentum and emaOverwriteFrequency need useEma: true/],
      [{ kind: 'adam', useEma: true, emaMomentum: 1 }, /adam: emaMomentum must be in \[0, 1\), got 1/],
      [{ kind: 'sgd', useEma: true, emaOverwriteFrequency: 0 }, /sgd: emaOverwriteFrequency must be a positive integer, got 0/],
    ];
    for (const [optimizer, message] of bad) await expect(model.compile({ device, optimizer })).rejects.toThrow(message);
    model.dispose();
  });
});
