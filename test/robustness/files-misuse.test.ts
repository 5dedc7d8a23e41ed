/**
 * Misuses with files: weights, TF.js models, checkpoints and the command line. Each must
 * throw (or exit with code 2) with a message naming the file, tensor or option at fault,
 * and leave the model's weights bit-equal.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Sequential, loadCheckpoint, decodeSafetensors, encodeCheckpoint, encodeSafetensors, layers, loadWeights, restoreCheckpoint, saveWeights } from '../../src/index.js';
import { testDevice } from '../helpers/gpu.js';
import { INPUT, compiledTinyModel, expectRefused } from './harness.js';

async function runCli(...argv: string[]): Promise<{ code: number; err: string }> {
  const err: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const error = vi.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    return { code: await main(argv), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

describe('file misuses are refused with the culprit named and weights bit-equal', () => {
  let dir: string;
  let model: Sequential;
  let weights: string; // the model's own weights, safetensors
  let tfjs: string; // the model's own weights, TF.js
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-misuse-'));
    model = await compiledTinyModel();
    weights = join(dir, 'tiny.safetensors');
    tfjs = join(dir, 'tiny.json');
    await saveWeights(model, weights);
    await saveWeights(model, tfjs);
  });

  /** The model's weights as a safetensors file with one value changed. */
  async function poisonedWeights(tensor: string, index: number, value: number): Promise<string> {
    const { tensors } = decodeSafetensors(new Uint8Array((await import('node:fs')).readFileSync(weights)));
    const poisoned = tensors.map((t) => (t.name === tensor ? { ...t, data: t.data.map((v, i) => (i === index ? value : v)) } : t));
    const path = join(dir, `poisoned-${tensor.replace('/', '-')}.safetensors`);
    writeFileSync(path, encodeSafetensors(poisoned));
    return path;
  }

  it('loadWeights: a NaN, an infinity, a wrong name, a wrong shape, a missing or unknown file', async () => {
    await expectRefused(model, async () => loadWeights(model, await poisonedWeights('dense/kernel', 5, NaN)), /poisoned-dense-kernel.safetensors: dense\/kernel holds NaN at index 5: weights must be finite/);
    await expectRefused(model, async () => loadWeights(model, await poisonedWeights('conv2d/bias', 1, Infinity)), /poisoned-conv2d-bias.safetensors: conv2d\/bias holds Infinity at index 1/);
    const renamed = join(dir, 'renamed.safetensors');
    const { tensors } = decodeSafetensors(new Uint8Array((await import('node:fs')).readFileSync(weights)));
    writeFileSync(renamed, encodeSafetensors(tensors.map((t) => (t.name === 'dense/bias' ? { ...t, name: 'dense_1/bias' } : t))));
    await expectRefused(model, () => loadWeights(model, renamed), /renamed.safetensors: the weight names do not match the model's \(missing dense\/bias; not in the model: dense_1\/bias\)/);
    const reshaped = join(dir, 'reshaped.safetensors');
    writeFileSync(reshaped, encodeSafetensors(tensors.map((t) => (t.name === 'dense/kernel' ? { ...t, shape: [3, 32] } : t))));
    await expectRefused(model, () => loadWeights(model, reshaped), /reshaped.safetensors: dense\/kernel has shape \[3,32\], the model needs \[32,3\]/);
    await expectRefused(model, () => loadWeights(model, join(dir, 'absent.safetensors')), /cannot read .*absent.safetensors/);
    await expectRefused(model, () => loadWeights(model, join(dir, 'weights.bin')), /weights.bin: name weights files \*.safetensors/);
    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, (await import('node:fs')).readFileSync(weights).subarray(0, 40));
    await expectRefused(model, () => loadWeights(model, truncated), /truncated.safetensors: /);
  });

  it('loadWeights of a TF.js model whose shard is missing', async () => {
    const lonely = join(dir, 'lonely');
    mkdirSync(lonely);
    writeFileSync(join(lonely, 'tiny.json'), (await import('node:fs')).readFileSync(tfjs));
    await expectRefused(model, () => loadWeights(model, join(lonely, 'tiny.json')), /cannot read .*tiny.group1-shard1of1.bin/);
  });

  it('saveWeights into a missing folder or onto a folder fails before writing', async () => {
    await expectRefused(model, () => saveWeights(model, join(dir, 'no-such', 'w.safetensors')), /saveWeights .*no-such\/w.safetensors: the folder .*no-such does not exist/);
    mkdirSync(join(dir, 'taken.safetensors'));
    await expectRefused(model, () => saveWeights(model, join(dir, 'taken.safetensors')), /saveWeights .*taken.safetensors: is a folder, not a file name/);
  });

  it('checkpoints: another architecture is named first; NaN state, another seed, a weights file', async () => {
    const other = new Sequential([
      layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: INPUT }),
      layers.flatten(),
      layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    await other.compile({ device: await testDevice(), optimizer: 'sgd', seed: 9 });
    const foreign = await encodeCheckpoint(other, 1);
    other.dispose();
    await expectRefused(model, () => restoreCheckpoint(model, foreign, 'other.ckpt'), /other.ckpt: written by a different architecture: layer 1 \(conv2d\): Conv2D filters 4 in the checkpoint, 2 in this model/);

    const own = await encodeCheckpoint(model, 1);
    const { tensors, metadata } = decodeSafetensors(own);
    const nanState = encodeSafetensors(tensors.map((t) => (t.name === 'optimizer/state' ? { ...t, data: t.data.map((v, i) => (i === 7 ? NaN : v)) } : t)), metadata);
    await expectRefused(model, () => restoreCheckpoint(model, nanState, 'nan.ckpt'), /nan.ckpt: optimizer\/state holds NaN at index 7/);
    const nanWeight = encodeSafetensors(tensors.map((t) => (t.name === 'conv2d/kernel' ? { ...t, data: t.data.map((v, i) => (i === 0 ? NaN : v)) } : t)), metadata);
    await expectRefused(model, () => restoreCheckpoint(model, nanWeight, 'nanw.ckpt'), /nanw.ckpt: conv2d\/kernel holds NaN at index 0/);
    const reseeded = encodeSafetensors(tensors, { ...metadata, seed: '8' });
    await expectRefused(model, () => restoreCheckpoint(model, reseeded, 'seed.ckpt'), /seed.ckpt: written by a model compiled with seed 8; this one has seed 3/);
    await expectRefused(model, async () => loadCheckpoint(model, weights), /tiny.safetensors: not a webgpu-dl checkpoint \(a weights file\? load it with loadWeights\)/);
  });
});

describe('command-line misuses exit with code 2 and name the option or file', () => {
  let dir: string;
  let tfjs: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-cli-misuse-'));
    const model = new Sequential([layers.conv2d({ filters: 2, kernelSize: 5, strides: 3, inputShape: [28, 28, 1] }), layers.flatten(), layers.dense({ units: 10, activation: 'softmax' })]);
    await model.compile({ device: await testDevice(), optimizer: 'sgd' });
    tfjs = join(dir, 'model.json');
    await saveWeights(model, tfjs);
    model.dispose();
    writeFileSync(join(dir, 'notes.txt'), 'buy milk\n');
  });

  const cases: [string, () => string[], RegExp][] = [
    ['predict a text file', () => ['predict', '--load', tfjs, '--input', join(dir, 'notes.txt')], /--input: .*notes.txt is neither a PNG nor an IDX images file/],
    ['train --save into a missing folder', () => ['train', '--save', '/no/such/dir/w.safetensors'], /--save \/no\/such\/dir\/w.safetensors: the folder \/no\/such\/dir does not exist/],
    ['train --checkpoint into a missing folder', () => ['train', '--checkpoint', '/no/such/dir/run.ckpt'], /--checkpoint \/no\/such\/dir\/run.ckpt: the folder \/no\/such\/dir does not exist/],
    ['train --checkpoint onto a folder', () => ['train', '--checkpoint', dir], /--checkpoint .*: is a folder, not a file name/],
    ['train --resume a missing file', () => ['train', '--resume', join(dir, 'absent.ckpt')], /--resume: no file .*absent.ckpt/],
    ['train --load a missing file', () => ['train', '--load', join(dir, 'absent.safetensors')], /--load: no file .*absent.safetensors/],
    ['train --batch-size 0', () => ['train', '--batch-size', '0'], /--batch-size must be a positive integer, got '0'/],
    ['train --learning-rate -1', () => ['train', '--learning-rate=-1'], /--learning-rate must be a positive number, got '-1'/],
    ['train --model resnet', () => ['train', '--model', 'resnet'], /unknown model 'resnet'/],
    ['predict --load a text file', () => ['predict', '--load', join(dir, 'notes.txt')], /--load: .*notes.txt: name weights files \*.safetensors/],
  ];
  it.each(cases)('%s', async (_, argv, message) => {
    const { code, err } = await runCli(...argv());
    expect(err).toMatch(message);
    expect(code).toBe(2);
  });
});
