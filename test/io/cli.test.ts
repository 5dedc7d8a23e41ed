/**
 * The command line: `predict --load` prints the classes the model gives a PNG, an IDX file or
 * MNIST's test images; `train --load/--save` round-trips weights; bad options fail before any
 * work with exit code 2.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../helpers/cli.js';
import { Sequential, layers, loadMnist, presets } from '../../src/index.js';
import { labelsFromOneHot } from '../../src/data/batches.js';
import { decodeSafetensors } from '../../src/io/safetensors.js';
import { readTfjs, saveWeights } from '../../src/io/files.js';
import { decodeTfjsWeights } from '../../src/io/tfjs.js';
import { testDevice } from '../helpers/gpu.js';
import { encodePng } from './png-encoder.js';

function printedClasses(out: string): number[] {
  return [...out.matchAll(/^image \d+: class (\d) probability [\d.]+/gm)].map((m) => Number(m[1]));
}

describe('webgpu-dl command', () => {
  let dir: string;
  let model: Sequential; // a small MNIST model, saved as a TF.js model.json (architecture + weights)
  let tiny: string;
  let images: Float32Array; // (3, 28, 28, 1): MNIST test images 0..2
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-cli-'));
    // `train` tunes kernels by default: keep its cache here, not in the user's cache directory.
    process.env.WEBGPU_DL_CACHE_DIR = join(dir, 'cache');
    model = new Sequential([
      layers.conv2d({ filters: 2, kernelSize: 5, strides: 3, activation: 'relu', inputShape: [28, 28, 1] }),
      layers.flatten(),
      layers.dense({ units: 10, activation: 'softmax' }),
    ]);
    await model.compile({ device: await testDevice(), optimizer: 'sgd', seed: 5 });
    tiny = join(dir, 'tiny.json');
    await saveWeights(model, tiny);
    images = (await loadMnist({ limit: 1, testLimit: 3 })).test.images;
    const bytes = Uint8Array.from(images, (v) => Math.round(v * 255));
    writeFileSync(join(dir, 'digit.png'), encodePng(28, 28, 1, bytes.subarray(0, 784)));
    mkdirSync(join(dir, 'no-images'));
    writeFileSync(join(dir, 'dark-on-light.png'), encodePng(28, 28, 3, Uint8Array.from({ length: 784 * 3 }, (_, i) => 255 - bytes[Math.floor(i / 3)])));
    const idx = new Uint8Array(16 + 3 * 784); // IDX header: magic, count, rows, cols (big-endian)
    const view = new DataView(idx.buffer);
    [0x803, 3, 28, 28].forEach((v, i) => view.setUint32(4 * i, v));
    idx.set(bytes, 16);
    writeFileSync(join(dir, 'three.idx'), idx);
    // Another dataset in MNIST's files (as Fashion-MNIST is distributed): the same 3 images, gzipped labels.
    mkdirSync(join(dir, 'dataset'));
    for (const name of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte']) writeFileSync(join(dir, 'dataset', name), idx);
    const labels = Uint8Array.of(0, 0, 8, 1, 0, 0, 0, 3, 9, 4, 1); // IDX labels: magic 0x801, count 3, then 9 4 1
    for (const name of ['train-labels-idx1-ubyte', 't10k-labels-idx1-ubyte']) writeFileSync(join(dir, 'dataset', `${name}.gz`), gzipSync(labels));
  });
  afterEach(() => vi.restoreAllMocks());

  const expectedClasses = async (x: Float32Array) => Array.from(labelsFromOneHot(await model.predict(x), 10));

  it('predict: one PNG', async () => {
    const { code, out } = await run('predict', '--load', tiny, '--input', join(dir, 'digit.png'));
    expect(code).toBe(0);
    expect(printedClasses(out)).toEqual(await expectedClasses(images.subarray(0, 784)));
  });

  it('predict: a dark digit on a light PNG gets a note, and --invert reads it as MNIST is', async () => {
    const png = join(dir, 'dark-on-light.png');
    const asIs = await run('predict', '--load', tiny, '--input', png);
    expect(asIs.code).toBe(0);
    expect(asIs.err).toMatch(/note: .*dark-on-light.png looks dark on light \(its border averages 1.00; MNIST's digits are light on dark\): add --invert/);
    expect(printedClasses(asIs.out)).toEqual(await expectedClasses(images.subarray(0, 784).map((v) => 1 - v)));
    const inverted = await run('predict', '--load', tiny, '--input', png, '--invert');
    expect(inverted.code).toBe(0);
    expect(inverted.err).not.toMatch(/note:/);
    expect(printedClasses(inverted.out)).toEqual(await expectedClasses(images.subarray(0, 784)));
    const plain = await run('predict', '--load', tiny, '--input', join(dir, 'digit.png'));
    expect(plain.err).not.toMatch(/note:/);
  });

  it('predict: a folder of PNGs, by name, each named in its line', async () => {
    const { code, out, err } = await run('predict', '--load', tiny, '--input', dir, '--invert');
    expect(code).toBe(0);
    expect(err).not.toMatch(/note:/);
    const lines = out.split('\n').filter((l) => l.startsWith('image '));
    expect(lines.map((l) => l.replace(/.*\((.*)\)$/, '$1'))).toEqual(['dark-on-light.png', 'digit.png']);
    const digit = images.subarray(0, 784);
    expect(printedClasses(out)).toEqual([...(await expectedClasses(digit)), ...(await expectedClasses(digit.map((v) => 1 - v)))]);
    const limited = await run('predict', '--load', tiny, '--input', dir, '--limit', '1');
    expect(printedClasses(limited.out)).toHaveLength(1);
    expect(limited.err).toMatch(/note: .*dark-on-light.png looks dark on light/);
  });

  it('evaluate and predict --data DIR: the test images and labels of another dataset in MNIST\'s files', async () => {
    const evaluated = await run('evaluate', '--load', tiny, '--data', join(dir, 'dataset'));
    expect(evaluated.code).toBe(0);
    const expected = await model.evaluate(images, Uint8Array.of(9, 4, 1));
    expect(evaluated.out).toMatch(/on 3 test images from .*dataset/);
    expect(evaluated.out.split('\n').at(-1)).toBe(`test: loss ${expected.loss.toFixed(4)} accuracy ${expected.accuracy.toFixed(4)}`);
    const predicted = await run('predict', '--load', tiny, '--data', join(dir, 'dataset'));
    expect(printedClasses(predicted.out)).toEqual(await expectedClasses(images));
    expect(predicted.out).toMatch(/\(label 9\)[\s\S]*\(label 4\)[\s\S]*\(label 1\)/);
  });

  it('predict: an IDX images file, and MNIST with its labels by default', async () => {
    const expected = await expectedClasses(images);
    const fromIdx = await run('predict', '--load', tiny, '--input', join(dir, 'three.idx'));
    expect(fromIdx.code).toBe(0);
    expect(printedClasses(fromIdx.out)).toEqual(expected);
    const fromMnist = await run('predict', '--load', tiny, '--limit', '3');
    expect(printedClasses(fromMnist.out)).toEqual(expected);
    expect(fromMnist.out).toMatch(/\(label 7\)/); // MNIST's first test digit
    expect(fromMnist.out).toMatch(/^correct: \d of 3$/m);
  });

  it('train --load then --save, and predict with a preset\'s safetensors weights', async () => {
    // Weights for the default preset (mnist-conv3), as safetensors.
    const preset = presets['mnist-conv3']().model;
    await preset.compile({ device: await testDevice(), optimizer: 'sgd', seed: 6 });
    const weights = join(dir, 'conv3.safetensors');
    await saveWeights(preset, weights);
    // 0 epochs: train loads, evaluates and saves the same weights again, as TF.js files.
    const saved = join(dir, 'trained.json');
    const trained = await run('train', '--model', 'mnist-conv3', '--epochs', '0', '--limit', '8', '--test-limit', '4', '--load', weights, '--save', saved);
    expect(trained.err).toBe('');
    expect(trained.code).toBe(0);
    expect(trained.out).toMatch(/weights loaded from .*conv3.safetensors/);
    expect(trained.out).toMatch(/^test: loss [\d.]+ accuracy [\d.]+$/m);
    // The first run times the matmul candidates; the same run again finds them all in the cache.
    expect(trained.out).toMatch(/^kernel tuning \(measure\): [1-9]\d* candidate\(s\) timed/m);
    const again = await run('train', '--model', 'mnist-conv3', '--epochs', '0', '--limit', '8', '--test-limit', '4', '--load', weights);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^kernel tuning \(measure\): 0 candidate\(s\) timed, [1-9]\d* choice\(s\) from the cache .*kernel-choices.json/m);
    // evaluate runs the kernels train chose (tuning 'cached' by default), timing nothing.
    const evaluated = await run('evaluate', '--load', weights, '--model', 'mnist-conv3', '--limit', '4');
    expect(evaluated.code).toBe(0);
    expect(evaluated.out).toMatch(/^kernel tuning \(cached\): 0 candidate\(s\) timed, [1-9]\d* choice\(s\) from the cache .*kernel-choices.json/m);
    expect(evaluated.out.split('\n').at(-1)).toBe(trained.out.split('\n').at(-1)); // the same test line as train's
    const { modelJson, shards } = await readTfjs(saved);
    expect(decodeTfjsWeights(modelJson, shards)).toEqual(decodeSafetensors(readFileSync(weights)).tensors);
    // predict without --model uses the default preset for a safetensors file.
    const predicted = await run('predict', '--load', weights, '--input', join(dir, 'three.idx'));
    expect(predicted.code).toBe(0);
    expect(printedClasses(predicted.out)).toEqual(Array.from(labelsFromOneHot(await preset.predict(images), 10)));
    preset.dispose();
  });

  it('weights that do not fit the model are refused before any GPU work, naming the difference', async () => {
    const weights = join(dir, 'tiny.safetensors');
    await saveWeights(model, weights);
    const mismatch = /tiny.safetensors: the weight names do not match the model's \(missing conv2d_1\/kernel, conv2d_1\/bias, conv2d_2\/kernel, conv2d_2\/bias, dense_1\/kernel, dense_1\/bias\)/;
    for (const argv of [
      ['train', '--load', weights, '--limit', '8', '--epochs', '1'],
      ['predict', '--load', weights, '--model', 'mnist-conv3'],
      ['evaluate', '--load', weights, '--model', 'mnist-conv3'],
    ]) {
      const { code, out, err } = await run(...argv);
      expect(err).toMatch(mismatch);
      expect(code).toBe(1);
      expect(out).toBe(''); // no adapter line, no model summary: no device was created
    }
  });

  it('a .safetensors file without --model is taken as the one preset it fits; a mismatch names the presets it fits', async () => {
    const cnn = join('pretrained', 'mnist-cnn.safetensors');
    const inferred = await run('evaluate', '--load', cnn, '--limit', '3');
    const named = await run('evaluate', '--load', cnn, '--model', 'mnist-cnn', '--limit', '3');
    expect(inferred.code).toBe(0);
    expect(inferred.err).toMatch(/note: pretrained\/mnist-cnn.safetensors holds mnist-cnn's weights, so it is taken as --model mnist-cnn/);
    expect(inferred.out.split('\n').at(-1)).toMatch(/^test: loss \d\.\d{4} accuracy 1\.0000$/);
    expect(inferred.out.split('\n').at(-1)).toBe(named.out.split('\n').at(-1));
    expect(named.err).not.toMatch(/note: .* holds/);
    // train takes --model as the schedule too, so it only names the fitting preset.
    for (const argv of [['train', '--load', cnn, '--limit', '8'], ['predict', '--load', cnn, '--model', 'mnist-bn']]) {
      const { code, out, err } = await run(...argv);
      expect(err).toMatch(/mnist-cnn.safetensors: the weight names do not match the model's \(missing .*\); the file fits --model mnist-cnn$/m);
      expect(code).toBe(1);
      expect(out).toBe('');
    }
  });

  it('bad options fail before any work, with exit code 2', async () => {
    const cases: [string[], RegExp][] = [
      [['train', '--save', join(dir, 'w.bin')], /--save: .*name weights files \*.safetensors/],
      [['train', '--load', tiny, '--resume', tiny], /--load and --resume exclude each other/],
      [['train', '--tuning', 'fast'], /--tuning must be one of measure, cached, off, got 'fast'/],
      [['train', '--lr-schedule', 'step'], /--lr-schedule must be one of constant, cosine, got 'step'/],
      [['predict'], /predict needs --load FILE/],
      [['predict', '--load', join(dir, 'absent.safetensors')], /--load: no file .*absent.safetensors/],
      [['evaluate', '--load', join(dir, 'absent.keras')], /--load: no file .*absent.keras/],
      [['predict', '--load', tiny, '--model', 'resnet'], /unknown model 'resnet'/],
      [['predict', '--load', tiny, '--input', join(dir, 'absent.png')], /--input: no file/],
      [['predict', '--load', tiny, '--input', join(dir, 'no-images')], /--input: the folder .*no-images holds no .png files/],
      [['evaluate', '--load', tiny, '--data', join(dir, 'absent')], /--data: no folder .*absent/],
      [['train', '--data', join(dir, 'three.idx')], /--data: .*three.idx is a file; give the folder that holds the four IDX files/],
      [['predict', '--load', tiny, '--data', join(dir, 'dataset'), '--input', join(dir, 'digit.png')], /--data and --input exclude each other/],
      [['predict', '--load', tiny, '--tuning', 'fast'], /--tuning must be one of measure, cached, off, got 'fast'/],
      [['predict', '--load', tiny, '--input', join(dir, 'three.idx'), '--invert'], /--invert applies to PNG input only/],
      [['evaluate', '--load', tiny, '--tuning', 'on'], /--tuning must be one of measure, cached, off, got 'on'/],
      [['train', '--weight-decay=-0.1'], /--weight-decay must be a number ≥ 0, got '-0.1'/],
      [['train', '--label-smoothing', '1'], /--label-smoothing must be a number in \[0, 1\), got '1'/],
      [['train', '--clip-norm', '0'], /--clip-norm must be a positive number, got '0'/],
      [['train', '--clip-value', '0.5', '--global-clip-norm', '1'], /give one of --clip-norm, --clip-value and --global-clip-norm \(Keras allows one clipping\), got --clip-value and --global-clip-norm/],
    ];
    for (const [argv, message] of cases) {
      const { code, err } = await run(...argv);
      expect(err).toMatch(message);
      expect(code).toBe(2);
    }
  });
});
