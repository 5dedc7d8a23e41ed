/**
 * bench/curve.ts: a run record's per-epoch curve as an SVG, with Keras' published mnist_cnn
 * points on it; points placed by their accuracy, a partial run marked as such.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { curveSvg, KERAS_MNIST_CNN_VAL_ACCURACY } from '../bench/curve-svg.js';
import { RUN_RECORD_FORMAT, updateStatus, writeRunRecord, type RunRecord } from '../src/io/run-record.js';

const run = promisify(execFile);

/** A mnist-cnn record of 3 epochs out of 12; epoch 3's validation accuracy equals Keras' epoch 3. */
function cnnRecord(): RunRecord {
  const record: RunRecord = {
    format: RUN_RECORD_FORMAT,
    status: 'partial',
    statusNote: '',
    settings: { model: 'mnist-cnn', optimizer: { kind: 'adadelta', learningRate: 1 }, epochs: 12, batchSize: 128, seed: 1, validation: 'test' },
    images: { train: 60000, validation: 10000, test: 10000 },
    sessions: [{ command: 'webgpu-dl train --model mnist-cnn', commit: 'unknown', adapter: 'test', startEpoch: 0, startedAt: '', updatedAt: '', wallSeconds: 60 }],
    epochs: [
      { epoch: 1, loss: 0.3, accuracy: 0.9, val_loss: 0.07, val_accuracy: 0.9806, seconds: 20 },
      { epoch: 2, loss: 0.1, accuracy: 0.97, val_loss: 0.05, val_accuracy: 0.9851, seconds: 20 },
      { epoch: 3, loss: 0.08, accuracy: 0.975, val_loss: 0.04, val_accuracy: KERAS_MNIST_CNN_VAL_ACCURACY[2], seconds: 20 },
    ],
    wallSeconds: 0,
  };
  updateStatus(record);
  return record;
}

/** The plotted points of curve `index`: [epoch title text, cx, cy]. */
function points(svg: string, index: number): { title: string; cx: number; cy: number }[] {
  const pattern = new RegExp(`<circle class="point" data-curve="${index}" cx="([\\d.]+)" cy="([\\d.]+)"[^>]*><title>([^<]*)</title>`, 'g');
  return [...svg.matchAll(pattern)].map((m) => ({ cx: Number(m[1]), cy: Number(m[2]), title: m[3] }));
}

describe('bench/curve: per-epoch curve as SVG', () => {
  it("draws our epochs and Keras' twelve published points on one scale", () => {
    const svg = curveSvg(cnnRecord());
    const [train, val, keras] = [0, 1, 2].map((i) => points(svg, i));
    expect(train).toHaveLength(3);
    expect(val).toHaveLength(3);
    expect(keras.map((p) => p.title)).toEqual(KERAS_MNIST_CNN_VAL_ACCURACY.map((a, i) => `Keras' mnist_cnn log (val), epoch ${i + 1}: ${a.toFixed(4)}`));
    // Same epoch, same accuracy: the same place; higher accuracy: higher up (smaller y).
    expect(val[2].cx).toBe(keras[2].cx);
    expect(val[2].cy).toBe(keras[2].cy);
    expect(keras[4].cy).toBeLessThan(keras[0].cy); // .9902 above .9782
    expect(val[0].cy).toBeLessThan(keras[0].cy); // .9806 above .9782
    expect(keras[11].cx).toBeGreaterThan(val[2].cx); // the axis spans all 12 epochs
    expect(svg).toContain('PARTIAL RUN');
    expect(svg).toContain('partial: 3 of 12 epochs completed, no test figures yet');
  });

  it("draws no Keras points for a model without a published log, and no partial mark on a complete run", () => {
    const record = cnnRecord();
    record.settings.model = 'mnist-conv5';
    record.settings.epochs = 3;
    record.test = { loss: 0.04, accuracy: 0.9867 };
    updateStatus(record);
    const svg = curveSvg(record);
    expect(points(svg, 2)).toEqual([]);
    expect(svg).not.toContain('PARTIAL RUN');
    expect(svg).toContain('test accuracy 0.9867');
  });

  it('node scripts/run.mjs bench/curve.ts RECORD.json writes RECORD.svg beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-curve-'));
    const path = join(dir, 'cnn.json');
    const record = cnnRecord();
    await writeRunRecord(path, record);
    const { stdout } = await run('node', ['scripts/run.mjs', 'bench/curve.ts', path], { timeout: 60_000 });
    expect(stdout).toContain(`${join(dir, 'cnn.svg')}: mnist-cnn, partial: 3 of 12 epochs completed`);
    expect(readFileSync(join(dir, 'cnn.svg'), 'utf8')).toBe(curveSvg(record));
    await expect(run('node', ['scripts/run.mjs', 'bench/curve.ts', join(dir, 'cnn.md')], { timeout: 60_000 })).rejects.toMatchObject({ code: 2 });
  });
});
