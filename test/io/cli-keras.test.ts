/**
 * The command line with Keras files: evaluate prints Keras' own test figures for files Keras
 * saved, predict takes the file's architecture, train resumes a .keras file's optimizer and
 * saves a .keras, and the options that cannot work fail before any work.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { run } from '../helpers/cli.js';
import { loadModel } from '../../src/io/keras-file/index.js';

const DIR = 'test/fixtures/keras-files/';
const expected = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8'));

describe('webgpu-dl with Keras files', () => {
  it.each(['conv-adam.keras', 'conv-bn.h5', 'quickstart.keras', 'activations.keras', 'regularized.keras'])('evaluate --load %s --limit 1000 prints the loss and accuracy Keras measured', async (file) => {
    const { code, out } = await run('evaluate', '--load', DIR + file, '--limit', '1000');
    expect(code).toBe(0);
    const keras = expected[file];
    expect(out.split('\n').at(-1)).toBe(`test: loss ${keras.loss.toFixed(4)} accuracy ${keras.accuracy.toFixed(4)}`);
  });

  it('evaluate a model that rescales raw pixels itself: given raw pixels by default, with a note; --pixel-range 1 gives it [0, 1]', async () => {
    const keras = expected['rescaling.keras'];
    const auto = await run('evaluate', '--load', `${DIR}rescaling.keras`, '--limit', '1000');
    expect(auto.code).toBe(0);
    expect(auto.err).toMatch(/note: the model opens with a Rescaling of raw pixels, so it is given pixels in \[0, 255\]/);
    expect(auto.out.split('\n').at(-1)).toBe(`test: loss ${keras.loss.toFixed(4)} accuracy ${keras.accuracy.toFixed(4)}`);
    // Inputs 255 times too small: every image is nearly blank to the model.
    const scaled = await run('evaluate', '--load', `${DIR}rescaling.keras`, '--limit', '1000', '--pixel-range', '1');
    expect(scaled.code).toBe(0);
    expect(scaled.err).not.toMatch(/note:/);
    expect(Number(/accuracy ([\d.]+)$/.exec(scaled.out)![1])).toBeLessThan(0.5);
    const bad = await run('evaluate', '--load', `${DIR}rescaling.keras`, '--pixel-range', '100');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--pixel-range must be auto, 1 or 255, got '100'/);
  });

  it('predict --load a model that rescales raw pixels: the classes Keras predicts on raw pixels', async () => {
    const { code, out } = await run('predict', '--load', `${DIR}rescaling.keras`, '--limit', '8');
    expect(code).toBe(0);
    const classes = [...out.matchAll(/^image \d+: class (\d) probability/gm)].map((m) => Number(m[1]));
    expect(classes).toEqual(expected['rescaling.keras'].classes.slice(0, 8));
  });

  it('predict --load a .keras file: the classes Keras predicts', async () => {
    const { code, out } = await run('predict', '--load', `${DIR}conv-adam.keras`, '--limit', '8');
    expect(code).toBe(0);
    const classes = [...out.matchAll(/^image \d+: class (\d) probability/gm)].map((m) => Number(m[1]));
    const keras = (expected['conv-adam.keras'].probabilities as number[][]).slice(0, 8).map((p) => p.indexOf(Math.max(...p)));
    expect(classes).toEqual(keras);
  });

  it("predict --load TensorFlow's beginner model (logits out): Keras' classes, probabilities by softmax", async () => {
    const { code, out } = await run('predict', '--load', `${DIR}quickstart.keras`, '--limit', '8');
    expect(code).toBe(0);
    const printed = [...out.matchAll(/^image \d+: class (\d) probability ([\d.]+)/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    const logits = (expected['quickstart.keras'].probabilities as number[][]).slice(0, 8);
    expect(printed.map(([c]) => c)).toEqual(logits.map((l) => l.indexOf(Math.max(...l))));
    // The printed probability is the softmax of Keras' logits for that class.
    printed.forEach(([c, p], i) => {
      const exps = logits[i].map((v) => Math.exp(v - Math.max(...logits[i])));
      expect(p).toBeCloseTo(exps[c] / exps.reduce((a, b) => a + b, 0), 3);
    });
  });

  it('train --load a .keras resumes its Adam (step count included) and --save writes a .keras', async () => {
    const saved = join(mkdtempSync(join(tmpdir(), 'cli-keras-')), 'more.keras');
    // --tuning off: these tests are about Keras files; timing kernel candidates (cli.test.ts tests it) took most of their minute.
    const { code, out } = await run('train', '--load', `${DIR}conv-adam.keras`, '--limit', '64', '--epochs', '1', '--test-limit', '50', '--save', saved, '--tuning', 'off');
    expect(code).toBe(0);
    expect(out).toContain('model, weights and optimizer state loaded from');
    expect(out).toMatch(/adam learning rate 0.00200000/);
    const model = await loadModel(saved);
    expect(model.layers.map((l) => l.name)).toEqual(['features', 'pool', 'flat', 'digits']);
    // 188 steps saved by Keras, then one of 57 images (the preset holds 10% out for validation).
    expect(model.initialState?.optimizer?.iterations).toBe(expected['conv-adam.keras'].resume.iterations);
  });

  it("train --load a .keras whose SGD follows an ExponentialDecay: the saved .keras keeps the schedule; --lr-schedule cosine on it is refused", async () => {
    const saved = join(mkdtempSync(join(tmpdir(), 'cli-keras-')), 'scheduled.keras');
    const { code } = await run('train', '--load', `${DIR}schedule.keras`, '--limit', '64', '--epochs', '1', '--test-limit', '50', '--save', saved, '--tuning', 'off');
    expect(code).toBe(0);
    const config = JSON.parse(new TextDecoder().decode(unzipSync(new Uint8Array(readFileSync(saved)))['config.json']));
    const original = JSON.parse(new TextDecoder().decode(unzipSync(new Uint8Array(readFileSync(`${DIR}schedule.keras`)))['config.json']));
    expect(config.compile_config.optimizer.config.learning_rate).toEqual(original.compile_config.optimizer.config.learning_rate);
    const both = await run('train', '--load', `${DIR}schedule.keras`, '--limit', '64', '--lr-schedule', 'cosine', '--tuning', 'off');
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/--lr-schedule cosine: .*schedule\.keras's optimizer follows its own learning-rate schedule \(exponentialDecay\)/);
  });

  it('train --weight-decay and --label-smoothing: the saved .keras holds them as Keras writes them', async () => {
    const saved = join(mkdtempSync(join(tmpdir(), 'cli-keras-')), 'decayed.keras');
    const { code, out } = await run('train', '--optimizer', 'adamw', '--weight-decay', '0.02', '--label-smoothing', '0.1', '--limit', '64', '--epochs', '1', '--test-limit', '50', '--save', saved, '--tuning', 'off');
    expect(code).toBe(0);
    expect(out).toMatch(/adamw learning rate/);
    const config = JSON.parse(new TextDecoder().decode(unzipSync(new Uint8Array(readFileSync(saved)))['config.json']));
    expect(config.compile_config.optimizer).toMatchObject({ class_name: 'AdamW', config: { weight_decay: 0.02 } });
    expect(config.compile_config.loss).toMatchObject({ class_name: 'CategoricalCrossentropy', config: { label_smoothing: 0.1 } });
  });

  it('refuses --save x.h5, evaluate without --load, and a weights-only file as a model', async () => {
    const h5 = await run('train', '--save', 'x.h5');
    expect(h5.code).toBe(2);
    expect(h5.err).toMatch(/--save: x.h5: Keras files are written as .keras/);
    const noLoad = await run('evaluate');
    expect(noLoad.code).toBe(2);
    expect(noLoad.err).toMatch(/evaluate needs --load FILE/);
    const weightsOnly = await run('evaluate', '--load', `${DIR}dense.weights.h5`);
    expect(weightsOnly.code).toBe(1);
    expect(weightsOnly.err).toMatch(/dense.weights.h5: holds weights only/);
  });
});
