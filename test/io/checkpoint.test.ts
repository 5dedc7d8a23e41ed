/**
 * Checkpoints: "train 2 epochs" and "train 1, checkpoint, resume for 1" give the same weights,
 * under Adam and under SGD with a learning-rate schedule
 * (same seed: the shuffle of epoch 2, Adam's moments and step, the dropout stream and the batch
 * norm statistics all carry over); a checkpoint that does not fit the model is refused and
 * leaves the model as it was.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, layers, loadCheckpoint, modelCheckpoint, optimizers, saveCheckpoint, type OptimizerSpec } from '../../src/index.js';
import { restoreCheckpoint } from '../../src/io/checkpoint.js';
import { encodeWeightsSafetensors } from '../../src/io/model-weights.js';
import { randomFloats, testDevice } from '../helpers/gpu.js';

const SAMPLES = 10; // batches of 4: two full and one of 2, as fit's last batch
const x = randomFloats(SAMPLES * 36, 21, 0, 1);
const y = Uint8Array.from({ length: SAMPLES }, (_, i) => (i * 7) % 3);
const fitArgs = { batchSize: 4, verbose: 0 as const };

async function model(seed = 9, optimizer: OptimizerSpec = 'adam'): Promise<Sequential> {
  const m = new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1] }),
    layers.batchNormalization(),
    layers.flatten(),
    layers.dropout({ rate: 0.3 }),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  await m.compile({ device: await testDevice(), optimizer, seed });
  return m;
}

describe('checkpoints', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-checkpoint-'));
  });

  it.each<[string, OptimizerSpec]>([
    ['Adam', 'adam'],
    // The resumed run must take up the schedule at its step 3, not start it over.
    ['SGD under an exponential decay', { kind: 'sgd', momentum: 0.5, schedule: { kind: 'exponentialDecay', initialLearningRate: 0.5, decaySteps: 2, decayRate: 0.3 } }],
  ])('train 2 epochs = train 1, checkpoint, resume for 1 (%s)', async (_what, optimizer) => {
    const straight = await model(9, optimizer);
    await straight.fit(x, y, { ...fitArgs, epochs: 2 });
    const expected = await straight.getWeights();
    straight.dispose();

    const path = join(dir, 'run.ckpt');
    const first = await model(9, optimizer);
    await first.fit(x, y, { ...fitArgs, epochs: 1, callbacks: [modelCheckpoint(path)] });
    const afterOne = await first.getWeights();
    first.dispose();
    expect(afterOne).not.toEqual(expected); // the second epoch does change the weights

    const resumed = await model(9, optimizer);
    const info = await loadCheckpoint(resumed, path);
    expect(info).toMatchObject({ epoch: 1, step: 3, seed: 9, optimizer: { kind: typeof optimizer === 'string' ? optimizer : optimizer.kind } });
    expect(await resumed.getWeights()).toEqual(afterOne);
    const history = await resumed.fit(x, y, { ...fitArgs, epochs: 2, initialEpoch: info.epoch });
    expect(history.epoch).toEqual([1]);
    // The same kernels on the same data in the same order: bit for bit the same.
    expect(await resumed.getWeights()).toEqual(expected);
    resumed.dispose();
  });

  it('hands each epoch\'s checkpoint to a write callback', async () => {
    const m = await model(4, 'sgd');
    const written: [number, Uint8Array][] = [];
    await m.fit(x, y, { ...fitArgs, epochs: 2, callbacks: [modelCheckpoint((bytes, epoch) => void written.push([epoch, bytes]))] });
    expect(written.map(([epoch]) => epoch)).toEqual([1, 2]);
    const restored = await model(4, 'sgd');
    expect(restoreCheckpoint(restored, written[1][1])).toMatchObject({ epoch: 2, step: 6 });
    expect(await restored.getWeights()).toEqual(await m.getWeights());
    m.dispose();
    restored.dispose();
  });

  it('refuses a checkpoint that does not fit, and leaves the model unchanged', async () => {
    const path = join(dir, 'refused.ckpt');
    const source = await model(9);
    await saveCheckpoint(source, path, 1);
    const bytes = readFileSync(path);
    source.dispose();

    const target = await model(9);
    const before = await target.getWeights();
    const otherSeed = await model(10);
    const otherOptimizer = await model(9, 'sgd');
    const withAmsgrad = await model(9, optimizers.adam({ amsgrad: true }));
    const attempts: [Sequential, Uint8Array, RegExp][] = [
      [otherSeed, bytes, /compiled with seed 9; this one has seed 10: compile with \{ seed: 9 \}/],
      [otherOptimizer, bytes, /holds adam optimizer state; this model is compiled with sgd/],
      [withAmsgrad, bytes, /holds adam state without AMSGrad's v̂; this model's adam is compiled with amsgrad/],
      [target, bytes.subarray(0, bytes.length - 8), /truncated/],
      [target, await encodeWeightsSafetensors(target), /not a webgpu-dl checkpoint \(a weights file\? load it with loadWeights\)/],
      [target, new TextEncoder().encode('not a checkpoint'), /not a valid safetensors file.* \(a webgpu-dl checkpoint is a safetensors file that --checkpoint or modelCheckpoint writes\)$/],
    ];
    for (const [m, data, message] of attempts) {
      const weights = await m.getWeights();
      expect(() => restoreCheckpoint(m, data, 'bad.ckpt')).toThrow(message);
      expect(await m.getWeights()).toEqual(weights);
    }
    writeFileSync(join(dir, 'empty.ckpt'), '');
    await expect(loadCheckpoint(target, join(dir, 'empty.ckpt'))).rejects.toThrow(/empty.ckpt: not a valid safetensors file/);
    expect(await target.getWeights()).toEqual(before);
    for (const m of [target, otherSeed, otherOptimizer, withAmsgrad]) m.dispose();
  });

  it('initialEpoch must lie within epochs', async () => {
    const m = await model();
    await expect(m.fit(x, y, { ...fitArgs, epochs: 1, initialEpoch: 2 })).rejects.toThrow(/initialEpoch must be an integer in 0..epochs \(1\), got 2/);
    m.dispose();
  });
});
