/**
 * scripts/pretrain.mjs, shortened with `-- --limit ...`: it writes the weights, the run record
 * and its curve; run again, it resumes from its checkpoint and the record continues; the weights
 * load with a plain `--load FILE --model NAME`; stopped by SIGTERM, training writes its checkpoint
 * where it stops and the next run goes on from there.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseRunRecord } from '../src/io/run-record.js';

const run = promisify(execFile);

describe('scripts/pretrain.mjs', () => {
  it('trains into DIR/PRESET.safetensors with a record and a curve, and resumes when run again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-pretrain-'));
    const short = ['--', '--limit', '64', '--test-limit', '32', '--epochs', '1'];
    const first = await run('node', ['scripts/pretrain.mjs', 'mnist-conv3', '--out', dir, ...short], { timeout: 200_000 });
    expect(first.stdout).toContain('--optimizer adam --epochs 2 --batch-size 64');
    expect(first.stdout).toContain(`--checkpoint ${join(dir, 'mnist-conv3.ckpt')} --checkpoint-every 10min`);
    expect(first.stdout).toMatch(/^test: loss [\d.]+ accuracy [\d.]+$/m);
    for (const file of ['mnist-conv3.safetensors', 'mnist-conv3.ckpt', 'mnist-conv3.json', 'mnist-conv3.md', 'mnist-conv3.svg']) expect(existsSync(join(dir, file)), file).toBe(true);
    const path = join(dir, 'mnist-conv3.json');
    expect(parseRunRecord(readFileSync(path, 'utf8'), path).status).toBe('complete');

    // Again with 2 epochs: it resumes after epoch 1 and the record gains a session.
    const again = await run('node', ['scripts/pretrain.mjs', 'mnist-conv3', '--out', dir, ...short.slice(0, -2), '--epochs', '2'], { timeout: 200_000 });
    expect(again.stdout).toContain(`--resume ${join(dir, 'mnist-conv3.ckpt')}`);
    const record = parseRunRecord(readFileSync(path, 'utf8'), path);
    expect(record.sessions.map((s) => s.startEpoch)).toEqual([0, 1]);
    expect(record.epochs.map((e) => e.epoch)).toEqual([1, 2]);

    // The shipped form loads with a plain --load FILE --model NAME.
    const weights = join(dir, 'mnist-conv3.safetensors');
    const tested = await run('node', ['scripts/run.mjs', 'src/cli/bin.ts', 'evaluate', '--load', weights, '--model', 'mnist-conv3', '--limit', '32'], { timeout: 120_000 });
    expect(tested.stdout.trim().split('\n').at(-1)).toBe(`test: loss ${record.test!.loss.toFixed(4)} accuracy ${record.test!.accuracy.toFixed(4)}`);
  }, 400_000);

  it('SIGTERM: train submits no more batches and writes its checkpoint, both exit 143, and a second run resumes at that batch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-pretrain-stop-'));
    // 108 batches of 16: more than the 40 steps fit submits ahead of the GPU, so that the loop waits and sees the signal mid-epoch.
    const args = ['scripts/pretrain.mjs', 'mnist-conv3', '--out', dir, '--', '--limit', '1920', '--test-limit', '32', '--epochs', '1', '--batch-size', '16', '--tuning', 'off'];
    const child = spawn('node', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => void (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => void (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Training has begun once its epoch line shows.
    for (let waited = 0; !out.includes('Epoch 1/1'); waited += 100) {
      if (waited > 150_000 || child.exitCode !== null) throw new Error(`training never began:\n${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(err).toContain('SIGTERM: stopping once the steps already submitted to the GPU are done, to write the checkpoint');
    const stopped = /training stopped by SIGTERM after batch (\d+) of 108 in epoch 1; (\S+) holds that point/.exec(err);
    expect(stopped, err).not.toBeNull();
    expect(stopped![2]).toBe(join(dir, 'mnist-conv3.ckpt'));
    expect(existsSync(join(dir, 'mnist-conv3.svg'))).toBe(false); // the curve is drawn after a whole run only

    const again = await run('node', args, { timeout: 200_000 });
    expect(again.stdout).toContain(`resuming from ${stopped![2]} after batch ${stopped![1]} of epoch 1`);
    expect(again.stdout).toMatch(/^test: loss [\d.]+ accuracy [\d.]+$/m);
    const path = join(dir, 'mnist-conv3.json');
    const record = parseRunRecord(readFileSync(path, 'utf8'), path);
    expect(record.status).toBe('complete');
    expect(record.sessions).toHaveLength(2);
  }, 400_000);

  it('refuses an unknown preset with exit code 2', async () => {
    await expect(run('node', ['scripts/pretrain.mjs', 'resnet'])).rejects.toMatchObject({ code: 2 });
  });
});
