/**
 * fit stopped by an error, then dispose(): a metrics read-back that the queue pacer (Node) was
 * still sleeping on must not map the destroyed read-back buffer, which would leave a WebGPU
 * error on the shared device for the next model to trip over.
 */
import { describe, expect, it } from 'vitest';
import { Sequential, layers } from '../../src/index.js';
import { randomFloats, testDevice } from '../helpers/gpu.js';

const SAMPLES = 96;
const x = randomFloats(SAMPLES * 28 * 28, 7, 0, 1);
const y = Uint8Array.from({ length: SAMPLES }, (_, i) => i % 4);

/** Steps of tens of milliseconds on SwiftShader: long enough for the pacer to sleep on them. */
async function model(): Promise<Sequential> {
  const m = new Sequential([
    layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
  await m.compile({ device: await testDevice(), optimizer: 'sgd', seed: 3 });
  return m;
}

describe('dispose after fit stops with an error', () => {
  it('leaves the device clean for the next model', async () => {
    for (let round = 0; round < 3; round++) {
      const stopped = await model();
      const stopAt = 4 + round;
      const run = stopped.fit(x, y, {
        batchSize: 8,
        epochs: 1,
        verbose: 0,
        progressEvery: 1,
        callbacks: [{ onBatchEnd: (_epoch, batch) => { if (batch === stopAt) throw new Error('stop'); } }],
      });
      await expect(run).rejects.toThrow('stop');
      stopped.dispose();
      // Longer than any sleep the pacer can have planned for these steps.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const next = await model();
      const history = await next.fit(x.subarray(0, 8 * 28 * 28), y.subarray(0, 8), { batchSize: 8, epochs: 1, verbose: 0 });
      expect(history.history.loss[0]).toBeGreaterThan(0);
      next.dispose();
    }
  }, 60_000);
});
