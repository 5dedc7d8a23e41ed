/**
 * A diverging run stops at the first non-finite loss read back, with the weights and the
 * optimizer's step counter of the last finite read-back restored and an error naming the
 * epoch and steps; terminateOnNaN: false trains on as Keras used to.
 */
import { describe, expect, it } from 'vitest';
import { NonFiniteLossError, Sequential, layers } from '../../src/index.js';
import { randomFloats, testDevice } from '../helpers/gpu.js';
import { weightBits } from './harness.js';

const SAMPLES = 16;
const x = randomFloats(SAMPLES * 36, 21);
const y = Uint8Array.from({ length: SAMPLES }, (_, i) => i % 3);

async function model(learningRate: number): Promise<Sequential> {
  const m = new Sequential([
    layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1] }),
    layers.flatten(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  await m.compile({ device: await testDevice(), optimizer: { kind: 'sgd', learningRate }, seed: 4 });
  return m;
}

const caught = async (p: Promise<unknown>): Promise<NonFiniteLossError> => {
  try {
    await p;
  } catch (err) {
    return err as NonFiniteLossError;
  }
  throw new Error('fit did not throw');
};

describe('non-finite loss', () => {
  it('a learning rate of 1e30 stops fit in the first read-back, with the starting weights restored bit for bit', async () => {
    const m = await model(1e30);
    const before = await weightBits(m);
    const error = await caught(m.fit(x, y, { batchSize: 2, epochs: 3, progressEvery: 2, verbose: 0 }));
    expect(error).toBeInstanceOf(NonFiniteLossError);
    expect(error.message).toMatch(/^fit: the loss became (NaN|Infinity) in epoch 1 between steps 1 and 2 of 8 \(read back every 2 steps\)\. Training stopped; the weights and optimizer state are restored to those before step 1 of epoch 1, the last that gave a finite loss\. Try a lower learning rate/);
    expect([error.epoch, error.step]).toEqual([0, 1]);
    expect(await weightBits(m)).toEqual(before);
    expect(m.trainingState().optimizerSteps).toBe(0);
    m.dispose();
  });

  it('divergence in epoch 2 restores the last finite read-back of epoch 1, and the model trains on afterwards', async () => {
    const m = await model(0.05);
    const error = await caught(
      m.fit(x, y, {
        batchSize: 2,
        epochs: 3,
        progressEvery: 2,
        verbose: 0,
        callbacks: { onEpochEnd: (epoch) => (epoch === 0 ? m.trainingState().optimizer.setLearningRate(1e30) : undefined) },
      }),
    );
    expect(error.message).toMatch(/the loss became (NaN|Infinity) in epoch 2 between steps 1 and 2 of 8 .* restored to those before step 8 of epoch 1,/);
    expect(error.history.epoch).toEqual([0]);
    // The backup of epoch 1's last read-back was taken before its step 8 (index 7): 7 steps done.
    expect(m.trainingState().optimizerSteps).toBe(7);
    const weights = await m.getWeights();
    expect(weights.every((w) => w.every(Number.isFinite))).toBe(true);
    m.trainingState().optimizer.setLearningRate(0.05);
    const history = await m.fit(x, y, { batchSize: 2, epochs: 1, verbose: 0 });
    expect(Number.isFinite(history.history.loss[0])).toBe(true);
    m.dispose();
  });

  it('terminateOnNaN: false trains every epoch with a NaN loss, as Keras did', async () => {
    const m = await model(1e30);
    const history = await m.fit(x, y, { batchSize: 2, epochs: 2, progressEvery: 2, verbose: 0, terminateOnNaN: false });
    expect(history.epoch).toEqual([0, 1]);
    expect(history.history.loss.every((l) => !Number.isFinite(l))).toBe(true);
    m.dispose();
  });
});
