/**
 * `webgpu-dl train --validation-data test` and `--record FILE.json`: the record is written
 * after every epoch (partial until the test figures are in), a resumed run continues it with
 * the figures an uninterrupted run records, and bad uses fail before any work. Small runs:
 * mnist-conv3 on 64 training and 32 test images.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../helpers/cli.js';
import { RunRecorder } from '../../src/cli/record.js';
import { markdownPath, parseRunRecord, RUN_RECORD_FORMAT, updateStatus, type RunRecord } from '../../src/io/run-record.js';

const read = (path: string): RunRecord => parseRunRecord(readFileSync(path, 'utf8'), path);
// --tuning off: these tests are about the record, and timing kernel candidates on a loaded machine took them past their timeout.
const SMALL = ['--model', 'mnist-conv3', '--limit', '64', '--test-limit', '32', '--batch-size', '32', '--tuning', 'off'];

describe('train --validation-data and --record', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-record-'));
  });
  afterEach(() => vi.restoreAllMocks());

  it('the default model decays Adam\'s 0.002 by cosine over the run\'s steps, and the record says so', async () => {
    const path = join(dir, 'default-model.json');
    // No --model: npm start's settings, here on 64 images (57 train: 4 batches of 16 per epoch).
    const { code, out } = await run('train', '--limit', '64', '--test-limit', '32', '--batch-size', '16', '--epochs', '2', '--tuning', 'off', '--record', path);
    expect(code).toBe(0);
    expect(out).toMatch(/2 epoch\(s\), batch 16, adam learning rate 0\.002, cosine decay to 0 over 8 steps/);
    const { settings } = read(path);
    expect(settings.lrSchedule).toBe('cosine');
    expect(settings.optimizer.learningRate).toBe(0.002);
    // A preset named: its own constant rate.
    const preset = await run('train', ...SMALL, '--epochs', '0');
    expect(preset.out).toMatch(/sgd learning rate 0\.01\n/);
  });

  it('--validation-data test trains on every image and validates on the test images', async () => {
    const path = join(dir, 'test-validation.json');
    const { code, out, err } = await run('train', ...SMALL, '--epochs', '1', '--validation-data', 'test', '--record', path);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(/training mnist-conv3: 64 images, validating on the 32 test images, 1 epoch/);
    const record = read(path);
    expect(record.images).toEqual({ train: 64, validation: 32, test: 32 });
    // The last epoch's validation ran on the test images with the final weights: the test figures.
    const [epoch] = record.epochs;
    expect(epoch.val_accuracy).toBe(record.test!.accuracy);
    expect(epoch.val_loss).toBeCloseTo(record.test!.loss, 5);
    // The preset's own choice for mnist-conv3 holds out 10% of the training images instead.
    const split = join(dir, 'split.json');
    expect((await run('train', ...SMALL, '--epochs', '0', '--record', split)).out).toMatch(/64 images \(10%, 7 images, held out for validation\)/);
    expect(read(split).images).toEqual({ train: 57, validation: 7, test: 32 });
  });

  it('records each epoch as it ends (partial until the test figures), and a resumed run continues the record', async () => {
    // Uninterrupted: 2 epochs. The record is read as epoch 2 begins (the progress line).
    const whole = join(dir, 'whole.json');
    let midRun: RunRecord | undefined;
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (String(chunk).startsWith('Epoch 2/2')) midRun = read(whole);
      return write(chunk, ...(rest as []));
    });
    const args = [...SMALL, '--epochs', '2', '--validation-data', 'test'];
    expect((await run('train', ...args, '--record', whole)).code).toBe(0);
    vi.mocked(process.stdout.write).mockRestore();
    expect(midRun?.status).toBe('partial');
    expect(midRun?.statusNote).toBe('partial: 1 of 2 epochs completed, no test figures yet');
    expect(midRun?.epochs.map((e) => e.epoch)).toEqual([1]);
    expect(readFileSync(markdownPath(whole), 'utf8')).toMatch(/^# mnist-conv3, 2 epochs: COMPLETE/);
    const complete = read(whole);
    expect(complete.status).toBe('complete');
    expect(complete.sessions).toHaveLength(1);
    expect(complete.sessions[0].command).toBe(`webgpu-dl train ${args.join(' ')} --record ${whole}`);
    expect(complete.sessions[0].commit).toMatch(/^([0-9a-f]{40}( \(modified\))?|unknown)$/);
    expect(complete.sessions[0].adapter.length).toBeGreaterThan(0);

    // Interrupted after epoch 1, resumed for epoch 2: the same figures, in two sessions.
    const path = join(dir, 'resumed.json');
    const checkpoint = join(dir, 'run.ckpt');
    expect((await run('train', ...args, '--epochs', '1', '--record', path, '--checkpoint', checkpoint)).code).toBe(0);
    copyFileSync(checkpoint, join(dir, 'after-1.ckpt'));
    const resumed = await run('train', ...args, '--record', path, '--checkpoint', checkpoint, '--resume', checkpoint);
    expect(resumed.err).toBe('');
    const record = read(path);
    expect(record.status).toBe('complete');
    expect(record.settings.epochs).toBe(2);
    expect(record.sessions.map((s) => s.startEpoch)).toEqual([0, 1]);
    expect(record.epochs.map(({ seconds, ...figures }) => figures)).toEqual(complete.epochs.map(({ seconds, ...figures }) => figures));
    expect(record.test).toEqual(complete.test);
    expect(record.wallSeconds).toBeCloseTo(record.sessions[0].wallSeconds + record.sessions[1].wallSeconds, 6);

    // Resumed from an older checkpoint (the record had gone one epoch further): epoch 2 is
    // dropped and recorded again, not twice.
    expect((await run('train', ...args, '--record', path, '--resume', join(dir, 'after-1.ckpt'))).code).toBe(0);
    const again = read(path);
    expect(again.sessions.map((s) => s.startEpoch)).toEqual([0, 1, 1]);
    expect(again.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(again.epochs[1].val_accuracy).toBe(complete.epochs[1].val_accuracy);
  });

  it('--checkpoint-every: a run interrupted within an epoch resumes at that batch, with the figures of an uninterrupted run', async () => {
    // 96 images in batches of 32: 3 batches per epoch; a checkpoint after the 2nd of each.
    const args = ['--model', 'mnist-conv3', '--limit', '96', '--test-limit', '32', '--batch-size', '32', '--tuning', 'off', '--epochs', '2', '--validation-data', 'test'];
    const whole = join(dir, 'every-whole.json');
    expect((await run('train', ...args, '--record', whole)).code).toBe(0);
    const complete = read(whole);

    const path = join(dir, 'every.json');
    const checkpoint = join(dir, 'every.ckpt');
    // Interrupt in the last batch of epoch 2, after the checkpoint of its 2nd batch was written.
    const onBatchEnd = RunRecorder.prototype.onBatchEnd;
    vi.spyOn(RunRecorder.prototype, 'onBatchEnd').mockImplementation(function (this: RunRecorder, epoch, batch, where) {
      if (epoch === 1 && batch === 2) throw new Error('interrupted');
      return onBatchEnd.call(this, epoch, batch, where);
    });
    const stopped = await run('train', ...args, '--record', path, '--checkpoint', checkpoint, '--checkpoint-every', '2');
    expect(stopped.err).toMatch(/interrupted/);
    vi.mocked(RunRecorder.prototype.onBatchEnd).mockRestore();
    const partial = read(path);
    expect(partial.statusNote).toBe('partial: 1 of 2 epochs completed, no test figures yet');
    // The session's wall time reaches the checkpoint within epoch 2, past epoch 1's end.
    expect(partial.sessions[0].wallSeconds).toBeGreaterThan(partial.epochs[0].seconds);

    const resumed = await run('train', ...args, '--record', path, '--checkpoint', checkpoint, '--checkpoint-every', '2', '--resume', checkpoint);
    expect(resumed.err).toBe('');
    expect(resumed.out).toMatch(/resuming from .*every\.ckpt after batch 2 of epoch 2/);
    const record = read(path);
    expect(record.status).toBe('complete');
    expect(record.sessions.map((s) => [s.startEpoch, s.startBatch])).toEqual([[0, undefined], [1, 2]]);
    expect(record.epochs.map(({ seconds, ...figures }) => figures)).toEqual(complete.epochs.map(({ seconds, ...figures }) => figures));
    expect(record.test).toEqual(complete.test);
    expect(readFileSync(markdownPath(path), 'utf8')).toMatch(/\| 2 \| `webgpu-dl train .*` \| .* \| 1 \+ 2 batches \|/);

    const { code, err } = await run('train', ...args, '--checkpoint-every', '2');
    expect(code).toBe(2);
    expect(err).toMatch(/--checkpoint-every needs --checkpoint FILE/);
    const bad = await run('train', ...args, '--checkpoint', checkpoint, '--checkpoint-every', '10 minutes');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--checkpoint-every must be a number of batches \(e\.g\. 100\) or of minutes \(e\.g\. 10min\), got '10 minutes'/);
  });

  it('an epoch resumed within counts the seconds its first batches took before', async () => {
    const path = join(dir, 'carried.json');
    const settings = { model: 'mnist-cnn', optimizer: { kind: 'adadelta' as const }, epochs: 3, batchSize: 128, seed: 1, validation: 'none' as const };
    const recorder = RunRecorder.open(path, ['--model', 'mnist-cnn'], false);
    await recorder.begin(settings, 'adapter', { epoch: 1, batch: 200, epochSeconds: 1000 }, { train: 60000, validation: 0, test: 10000 });
    recorder.onEpochBegin(1);
    await recorder.onEpochEnd(1, { loss: 0.1, accuracy: 0.9 });
    recorder.onEpochBegin(2);
    await recorder.onEpochEnd(2, { loss: 0.1, accuracy: 0.9 });
    const [resumedEpoch, nextEpoch] = read(path).epochs;
    expect(resumedEpoch.seconds).toBeGreaterThanOrEqual(1000);
    expect(resumedEpoch.seconds).toBeLessThan(1001);
    expect(nextEpoch.seconds).toBeLessThan(1);
    expect(read(path).sessions[0]).toMatchObject({ startEpoch: 1, startBatch: 200 });
  });

  it('bad uses fail with exit code 2 before training, and leave an existing record as it was', async () => {
    const existing = join(dir, 'existing.json');
    const checkpoint = join(dir, 'existing.ckpt');
    expect((await run('train', ...SMALL, '--epochs', '1', '--record', existing, '--checkpoint', checkpoint)).code).toBe(0);
    const before = readFileSync(existing, 'utf8');
    const absent = join(dir, 'absent.ckpt');
    const cases: [string[], RegExp][] = [
      // Before any work:
      [['--validation-data', 'train'], /--validation-data must be split, test or none, got 'train'/],
      [['--record', join(dir, 'run.md')], /--record: .*run\.md: name the record FILE\.json/],
      [['--record', join(dir, 'absent', 'run.json')], /--record: .*no folder .*absent/],
      [['--record', existing], /--record: .*existing\.json exists: resume that run with --resume CHECKPOINT/],
      [['--record', existing, '--checkpoint', absent], /--record: .*existing\.json exists/],
      // Once the checkpoint is loaded (a Keras file's optimizer is known only then), before training:
      [['--record', existing, '--resume', checkpoint, '--batch-size', '16'], /--record: .*records a run with batchSize 32, this one has 16/],
      [['--record', existing, '--resume', checkpoint, '--validation-data', 'test'], /--record: .*records a run with validation "split", this one has "test"/],
      [['--record', existing, '--resume', checkpoint, '--limit', '32'], /--record: .*records a run with limit 64, this one has 32/],
    ];
    for (const [extra, message] of cases) {
      const { code, err } = await run('train', ...SMALL, '--epochs', '2', ...extra);
      expect(err).toMatch(message);
      expect(code).toBe(2);
    }
    expect(readFileSync(existing, 'utf8')).toBe(before);
    expect(existsSync(absent)).toBe(false);
  });

  it("a record written before Adam's amsgrad existed (its optimizer without the key) resumes, and one with amsgrad on does not", async () => {
    const path = join(dir, 'older.json');
    const checkpoint = join(dir, 'older.ckpt');
    const args = [...SMALL, '--optimizer', 'adam', '--record', path, '--checkpoint', checkpoint];
    expect((await run('train', ...args, '--epochs', '1')).code).toBe(0);
    const older = read(path);
    expect(older.settings.optimizer).toMatchObject({ kind: 'adam', amsgrad: false });
    delete (older.settings.optimizer as { amsgrad?: boolean }).amsgrad;
    writeFileSync(path, JSON.stringify(older));
    const resumed = await run('train', ...args, '--epochs', '2', '--resume', checkpoint);
    expect(resumed.err).toBe('');
    expect(read(path).sessions.map((s) => s.startEpoch)).toEqual([0, 1]);
    const withAmsgrad = read(path);
    (withAmsgrad.settings.optimizer as { amsgrad?: boolean }).amsgrad = true;
    writeFileSync(path, JSON.stringify(withAmsgrad));
    const refused = await run('train', ...args, '--epochs', '3', '--resume', checkpoint);
    expect(refused.err).toMatch(/--record: .*records a run with optimizer .*"amsgrad":true.*this one has .*"amsgrad":false/);
    expect(refused.code).toBe(2);
  });

  it('a record that begins at a resumed epoch says which epochs it misses', () => {
    const session = { command: 'webgpu-dl train --resume run.ckpt', commit: 'unknown', adapter: 'a', startedAt: '', updatedAt: '', wallSeconds: 5 };
    const record: RunRecord = {
      format: RUN_RECORD_FORMAT,
      status: 'complete',
      statusNote: '',
      settings: { model: 'mnist-cnn', optimizer: { kind: 'adadelta' }, epochs: 3, batchSize: 128, seed: 1, validation: 'test' },
      images: { train: 60000, validation: 10000, test: 10000 },
      sessions: [{ ...session, startEpoch: 1 }],
      epochs: [2, 3].map((epoch) => ({ epoch, loss: 0.1, accuracy: 0.9, seconds: 1 })),
      test: { loss: 0.1, accuracy: 0.9 },
      wallSeconds: 0,
    };
    updateStatus(record);
    expect(record.status).toBe('partial');
    expect(record.statusNote).toBe('partial: 3 of 3 epochs completed; epoch 1 ran before this record began');
    record.sessions = [{ ...session, startEpoch: 0 }, { ...session, startEpoch: 1 }];
    record.epochs.unshift({ epoch: 1, loss: 0.2, accuracy: 0.8, seconds: 1 });
    updateStatus(record);
    expect(record.statusNote).toBe('complete: 3 of 3 epochs and the test figures');
    expect(record.wallSeconds).toBe(10);
  });
});
