/**
 * GPU memory is owned and bounded: the device wrapper counts every live buffer and its
 * bytes; 100 compile → train → dispose cycles, and predictions at 20 batch sizes, must
 * leave both counts where they started.
 */
import { describe, expect, it } from 'vitest';
import { testDevice } from '../helpers/gpu.js';
import { compiledTinyModel, tinyData } from './harness.js';

describe('GPU memory', () => {
  it('100 compile → train → dispose cycles leave no buffer behind', async () => {
    const device = await testDevice();
    const { x, y } = tinyData();
    const start = device.memory;
    const startLabels = device.liveBufferLabels();
    for (let cycle = 0; cycle < 100; cycle++) {
      const model = await compiledTinyModel(cycle + 1);
      await model.trainOnBatch(x, y);
      await model.evaluate(x, y, { batchSize: 3 });
      model.dispose();
      if (cycle === 0) expect(device.liveBufferLabels(), 'after the first cycle').toEqual(startLabels);
    }
    expect(device.liveBufferLabels()).toEqual(startLabels);
    expect(device.memory).toEqual(start);
  }, 300_000);

  it('predictions at 20 batch sizes leave no buffer behind once the model is disposed', async () => {
    const device = await testDevice();
    const start = device.memory;
    const startLabels = device.liveBufferLabels();
    const model = await compiledTinyModel();
    const afterCompile = device.memory;
    const x = new Float32Array(25 * 36).fill(0.5);
    for (let batchSize = 1; batchSize <= 20; batchSize++) await model.predict(x, { batchSize });
    // Each batch size compiles a step, kept for reuse until dispose: memory grows while the model lives ...
    expect(device.memory.buffers).toBeGreaterThan(afterCompile.buffers);
    model.dispose();
    // ... and all of it is freed with it.
    expect(device.liveBufferLabels()).toEqual(startLabels);
    expect(device.memory).toEqual(start);
  }, 300_000);
});
