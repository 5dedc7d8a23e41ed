/**
 * Checkpoints within an epoch (modelCheckpoint's saveFreq): a run stopped mid-epoch and resumed
 * from its last checkpoint ends bit for bit as the uninterrupted run, with the same history
 * (the epoch's shuffle, dropout stream, Adam's moments and step, batch-norm statistics and the
 * running loss and accuracy sums all carry over); the write is atomic; a checkpoint written
 * by the per-epoch code before this existed (fixture) still loads and resumes.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, decodeSafetensors, layers, loadCheckpoint, modelCheckpoint, type Callback } from '../../src/index.js';
import { restoreCheckpoint } from '../../src/io/checkpoint.js';
import { randomFloats, testDevice } from '../helpers/gpu.js';

// 18 samples, 2 held out for validation: 16 to train in batches of 5 (three full and one of 1).
const SAMPLES = 18;
const x = randomFloats(SAMPLES * 36, 31, 0, 1);
const y = Uint8Array.from({ length: SAMPLES }, (_, i) => (i * 5) % 3);
const fitArgs = { batchSize: 5, verbose: 0 as const, validationSplit: 0.1, progressEvery: 3 };

/** Conv, batch norm and dropout (the fixture's model has rate 0.3), with Adam. */
async function model(seed = 5, rate = 0.4): Promise<Sequential> {
  const m = new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1] }),
    layers.batchNormalization(),
    layers.flatten(),
    layers.dropout({ rate }),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
  await m.compile({ device: await testDevice(), optimizer: 'adam', seed });
  return m;
}

/** A callback that stops fit with an error after batch `batch` of epoch `epoch` (0-based), as a kill would. */
function interruptAt(epoch: number, batch: number): Callback {
  return {
    onBatchEnd(e, b) {
      if (e === epoch && b === batch) throw new Error('interrupted');
    },
  };
}

describe('checkpoints within an epoch', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-within-'));
  });

  it('stopped mid-epoch and resumed = uninterrupted: same weights bit for bit, same history', async () => {
    const straight = await model();
    const expectedHistory = await straight.fit(x, y, { ...fitArgs, epochs: 3 });
    const expected = await straight.getWeights();
    straight.dispose();

    // Stop after batch index 2 of epoch index 1: the last checkpoint is after its 2nd batch.
    const path = join(dir, 'run.ckpt');
    const written: [number, number][] = [];
    const first = await model();
    const log: Callback = { onBatchEnd: () => undefined, onEpochEnd: (epoch) => void written.push([epoch + 1, 0]) };
    const history: number[][] = [];
    const record: Callback = { onEpochEnd: (_, logs) => void history.push([logs.loss, logs.accuracy, logs.val_loss!, logs.val_accuracy!]) };
    await expect(first.fit(x, y, { ...fitArgs, epochs: 3, callbacks: [record, log, modelCheckpoint(path, { saveFreq: 2 }), interruptAt(1, 2)] })).rejects.toThrow('interrupted');
    first.dispose();
    expect(written).toEqual([[1, 0]]);

    const resumed = await model();
    const info = await loadCheckpoint(resumed, path);
    // 4 batches per epoch: epoch 1 complete (4 steps) and 2 batches of epoch 2.
    expect(info).toMatchObject({ epoch: 1, batch: 2, step: 6, batchSize: 5, samples: 16, seed: 5 });
    expect(info.data).toMatch(/^[0-9a-f]{8}$/);
    expect(info.epochSeconds).toBeGreaterThan(0);
    expect(Array.from(info.metrics!).slice(2, 3)).toEqual([10]); // samples summed: two batches of 5
    const rest = await resumed.fit(x, y, { ...fitArgs, epochs: 3, resumeFrom: info });
    expect(rest.epoch).toEqual([1, 2]);
    expect(resumed.trainingState().optimizerSteps).toBe(12);
    expect(await resumed.getWeights()).toEqual(expected);
    // The history: epoch 1 from the first run, epochs 2 and 3 from the resumed one, each figure exact.
    const { loss, accuracy, val_loss, val_accuracy } = expectedHistory.history;
    const expectedRows = loss.map((l, i) => [l, accuracy[i], val_loss[i], val_accuracy[i]]);
    const resumedRows = rest.history.loss.map((l, i) => [l, rest.history.accuracy[i], rest.history.val_loss[i], rest.history.val_accuracy[i]]);
    expect([...history, ...resumedRows]).toEqual(expectedRows);
    resumed.dispose();
  });

  it('stopped by its signal: the checkpoint is written at that batch, fit rejects with the reason, and the resumed run = uninterrupted', async () => {
    const straight = await model(11);
    await straight.fit(x, y, { ...fitArgs, epochs: 2 });
    const expected = await straight.getWeights();
    straight.dispose();

    // Aborted during batch index 1 of epoch index 1, with a saveFreq that would never write within an epoch.
    const controller = new AbortController();
    const reason = new Error('stop, please');
    const abortAt: Callback = {
      onBatchEnd(epoch, batch) {
        if (epoch === 1 && batch === 0) controller.abort(reason);
      },
    };
    const seen: [number, number, boolean][] = [];
    const watch: Callback = { onBatchEnd: (epoch, batch, where) => void seen.push([epoch, batch, where.stopping]) };
    const points: [number, number][] = [];
    const bytes: Uint8Array[] = [];
    const first = await model(11);
    const save = modelCheckpoint((b, epoch, batch) => void (points.push([epoch, batch]), bytes.push(b)), { saveFreq: 'epoch' });
    await expect(first.fit(x, y, { ...fitArgs, epochs: 2, callbacks: [abortAt, watch, save], signal: controller.signal })).rejects.toBe(reason);
    first.dispose();
    // 4 batches an epoch: the stop comes after the batch under way when the signal came (index 1).
    expect(seen.slice(4)).toEqual([[1, 0, false], [1, 1, true]]);
    expect(points).toEqual([[1, 0], [1, 2]]);

    const resumed = await model(11);
    const info = restoreCheckpoint(resumed, bytes[1]);
    expect(info).toMatchObject({ epoch: 1, batch: 2, step: 6 });
    await resumed.fit(x, y, { ...fitArgs, epochs: 2, resumeFrom: info });
    expect(await resumed.getWeights()).toEqual(expected);
    resumed.dispose();
  });

  it("stopped by its signal on an epoch's last batch: stops after that epoch's end and its checkpoint; in the last epoch, finishes", async () => {
    const controller = new AbortController();
    const abortOnLast: Callback = {
      onBatchEnd(epoch, batch, where) {
        if (epoch === 0 && batch === where.batches - 1) controller.abort();
      },
    };
    const points: [number, number][] = [];
    const ended: { epoch: number; valAccuracy: number }[] = [];
    const m = await model(12);
    const save = modelCheckpoint((_, epoch, batch) => void points.push([epoch, batch]), { saveFreq: 1 });
    const ends: Callback = { onEpochEnd: (epoch, logs) => void ended.push({ epoch, valAccuracy: logs.val_accuracy! }) };
    const error = await m.fit(x, y, { ...fitArgs, epochs: 3, callbacks: [abortOnLast, save, ends], signal: controller.signal }).catch((e: Error) => e);
    expect((error as Error).name).toBe('AbortError'); // abort()'s default reason
    expect(points).toEqual([[0, 1], [0, 2], [0, 3], [1, 0]]);
    expect(ended.map((e) => e.epoch)).toEqual([0]);
    expect(Number.isFinite(ended[0].valAccuracy)).toBe(true); // validation ran before the stop
    expect(m.trainingState().optimizerSteps).toBe(4);

    // Aborted in the last epoch's last batch: nothing left to stop, fit ends normally.
    const last = new AbortController();
    const abortInLast: Callback = { onBatchEnd: (epoch, batch, where) => void (epoch === 0 && batch === where.batches - 1 && last.abort()) };
    const history = await m.fit(x, y, { ...fitArgs, epochs: 1, callbacks: [abortInLast], signal: last.signal });
    expect(history.epoch).toEqual([0]);
    await expect(m.fit(x, y, { ...fitArgs, epochs: 1, signal: 'stop' as unknown as AbortSignal })).rejects.toThrow('fit: signal must be an AbortSignal');
    m.dispose();
  });

  it('writes after every saveFreq batches and after each epoch, never twice for one point', async () => {
    const m = await model(6);
    const points: [number, number][] = [];
    const bytes: Uint8Array[] = [];
    await m.fit(x, y, { ...fitArgs, epochs: 2, callbacks: [modelCheckpoint((b, epoch, batch) => void (points.push([epoch, batch]), bytes.push(b)), { saveFreq: 2 })] });
    // 4 batches per epoch: after batch 2 of each, and at each end (batch 4 is the end, saved once).
    expect(points).toEqual([[0, 2], [1, 0], [1, 2], [2, 0]]);
    const restored = await model(6);
    expect(restoreCheckpoint(restored, bytes[2])).toMatchObject({ epoch: 1, batch: 2, step: 6 });
    expect(restoreCheckpoint(restored, bytes[3])).toMatchObject({ epoch: 2, batch: 0, epochSeconds: 0, step: 8 });
    expect(restoreCheckpoint(restored, bytes[3]).metrics).toBeUndefined();
    m.dispose();
    restored.dispose();
  });

  it('saveFreq { minutes }: writes within an epoch once that much time has passed since the last write', async () => {
    const m = await model(8);
    const points: [number, number][] = [];
    // A microsecond: due after every batch (but the last of an epoch, saved at its end).
    await m.fit(x, y, { ...fitArgs, epochs: 1, callbacks: [modelCheckpoint((_, epoch, batch) => void points.push([epoch, batch]), { saveFreq: { minutes: 1e-8 } })] });
    expect(points).toEqual([[0, 1], [0, 2], [0, 3], [1, 0]]);
    points.length = 0;
    await m.fit(x, y, { ...fitArgs, epochs: 1, callbacks: [modelCheckpoint((_, epoch, batch) => void points.push([epoch, batch]), { saveFreq: { minutes: 60 } })] });
    expect(points).toEqual([[1, 0]]);
    m.dispose();
  });

  it('refuses a resume point that does not fit the run, before any training', async () => {
    const m = await model(7);
    const bytes: Uint8Array[] = [];
    await m.fit(x, y, { ...fitArgs, epochs: 1, callbacks: [modelCheckpoint((b) => void bytes.push(b), { saveFreq: 3 })] });
    const info = restoreCheckpoint(m, bytes[0]);
    const before = await m.getWeights();
    await expect(m.fit(x, y, { ...fitArgs, batchSize: 4, epochs: 2, resumeFrom: info })).rejects.toThrow('resumeFrom was saved with batchSize 5, this fit has batchSize 4');
    await expect(m.fit(x.subarray(0, 36 * 16), y.subarray(0, 16), { ...fitArgs, epochs: 2, resumeFrom: info })).rejects.toThrow('resumeFrom was saved training on 16 samples, this fit trains on 14');
    // Other data of the same size (--data with another dataset): other images, or the same images with other labels.
    const otherImages = randomFloats(SAMPLES * 36, 99, 0, 1);
    await expect(m.fit(otherImages, y, { ...fitArgs, epochs: 2, resumeFrom: info })).rejects.toThrow(/resumeFrom was saved training on other data of the same size \(data fingerprint [0-9a-f]{8}, this fit's [0-9a-f]{8}\)/);
    await expect(m.fit(x, y.map((c) => (c + 1) % 3), { ...fitArgs, epochs: 2, resumeFrom: info })).rejects.toThrow('other data of the same size');
    await expect(m.fit(x, y, { ...fitArgs, epochs: 2, initialEpoch: 1, resumeFrom: info })).rejects.toThrow('initialEpoch 1 disagrees with resumeFrom.epoch 0');
    await expect(m.fit(x, y, { ...fitArgs, epochs: 2, resumeFrom: { epoch: 0, batch: 2 } })).rejects.toThrow('needs its metrics');
    expect(() => modelCheckpoint('x.ckpt', { saveFreq: 0 })).toThrow("saveFreq must be 'epoch', a positive integer (batches) or { minutes: M > 0 }, got 0");
    expect(() => modelCheckpoint('x.ckpt', { saveFreq: { minutes: -1 } })).toThrow('got {"minutes":-1}');
    expect(await m.getWeights()).toEqual(before);
    m.dispose();
  });

  it('loads and resumes a per-epoch checkpoint written by the code before this change', async () => {
    // The fixture's model and data: test/fixtures/checkpoints/README.md.
    const fixture = readFileSync(new URL('../fixtures/checkpoints/main-633b209-epoch1.ckpt', import.meta.url));
    const m = await model(9, 0.3);
    const info = restoreCheckpoint(m, new Uint8Array(fixture), 'fixture');
    expect(info).toMatchObject({ epoch: 1, batch: 0, epochSeconds: 0, step: 3, seed: 9, optimizer: { kind: 'adam' } });
    expect(info.metrics).toBeUndefined();
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(fixture));
    expect(metadata.checkpoint).toBe('webgpu-dl 1');
    const saved = (name: string) => tensors.find((t) => t.name === name)!.data;
    const weights = await m.getWeights();
    expect(weights[0]).toEqual(saved('conv2d/kernel'));
    expect(weights.at(-2)).toEqual(saved('dense/kernel'));
    expect(await m.trainingState().optimizer.readState()).toEqual(saved('optimizer/state'));

    const fx = randomFloats(10 * 36, 21, 0, 1);
    const fy = Uint8Array.from({ length: 10 }, (_, i) => (i * 7) % 3);
    const history = await m.fit(fx, fy, { batchSize: 4, verbose: 0, epochs: 2, resumeFrom: info });
    expect(history.epoch).toEqual([1]);
    expect(m.trainingState().optimizerSteps).toBe(6);
    expect(Number.isFinite(history.history.loss[0])).toBe(true);
    m.dispose();
  });

  it('a process killed while writing leaves the previous file whole', async () => {
    // A child replaces one file over and over with 8 MiB of one byte value, then another;
    // killed at a random moment, the file must be one of them, whole.
    const path = join(dir, 'atomic.bin');
    const size = 8 << 20;
    writeFileSync(path, new Uint8Array(size).fill(1));
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['scripts/run.mjs', 'test/helpers/atomic-writer.ts', path, String(size)], { stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', () => resolve());
        void exited.then((code) => reject(new Error(`the writer exited (${String(code)}) before writing`)));
      });
      await new Promise((r) => setTimeout(r, 50 + 150 * Math.random()));
      child.kill('SIGKILL');
      await exited;
      const bytes = readFileSync(path);
      expect(bytes.length).toBe(size);
      expect(bytes.every((b) => b === bytes[0])).toBe(true);
    }
    expect(existsSync(path)).toBe(true);
  });
});
