/**
 * .keras and .h5 files: what the engine writes reads back bit-equal (weights, optimizer state,
 * step) and has Keras' layout when read through h5wasm; files written here through h5wasm in
 * Keras' exact layouts (tf.keras 2's `kernel:0` names and layer_names / weight_names, Keras 3's
 * snake_case paths for layers named otherwise) load through the engine's jsfive reader.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { Sequential, layers, toKerasJson, type Device } from '../../src/index.js';
import { decodeKerasModel, loadKerasWeights, loadModel, saveModel } from '../../src/io/keras-file/index.js';
import { kerasLayerPaths, snakeCase } from '../../src/io/keras-file/weights-layout.js';
import { randomFloats, testDevice } from '../helpers/gpu.js';
import { FixedStrings, openWithH5wasm, writeH5, type Tree } from './keras-h5-files.js';

let device: Device;
beforeAll(async () => {
  device = await testDevice();
});

/** conv → BN → pool → conv → flatten → dropout → dense, with the names given (default ones when undefined). */
function model(names: (string | undefined)[] = []): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [7, 7, 2], name: names[0] }),
    layers.batchNormalization({ name: names[1] }),
    layers.maxPooling2d({ poolSize: 2, name: names[2] }),
    layers.conv2d({ filters: 4, kernelSize: 2, padding: 'same', activation: 'relu', name: names[3] }),
    layers.flatten({ name: names[4] }),
    layers.dropout({ rate: 0.25, name: names[5] }),
    layers.dense({ units: 5, activation: 'softmax', name: names[6] }),
  ]);
}

const input = randomFloats(3 * 7 * 7 * 2, 5, 0, 1);

/** A compiled model with random weights (BN statistics too) and a few Adam steps taken, so its optimizer state is not zero. */
async function trained(names?: (string | undefined)[]): Promise<Sequential> {
  const m = model(names);
  await m.compile({ device, optimizer: { kind: 'adam', learningRate: 0.01 }, seed: 3 });
  const weights = await m.getWeights();
  m.setWeights(weights.map((w, i) => randomFloats(w.length, 40 + i, 0.1, 0.9)));
  for (let s = 0; s < 3; s++) await m.trainOnBatch(randomFloats(4 * 7 * 7 * 2, 60 + s, 0, 1), Uint8Array.of(0, 1, 2, 3));
  return m;
}

async function optimizerState(m: Sequential): Promise<Float32Array> {
  return m.trainingState().optimizer.readState();
}

describe('Keras 3 weight paths', () => {
  it('are the snake_case class names numbered in order, whatever the layers are called', () => {
    expect(['Conv2D', 'MaxPooling2D', 'BatchNormalization', 'AveragePooling2D', 'Dense', 'Flatten'].map(snakeCase)).toEqual([
      'conv2d', 'max_pooling2d', 'batch_normalization', 'average_pooling2d', 'dense', 'flatten',
    ]);
    expect(kerasLayerPaths(model(['a', 'b', 'c', 'd', 'e', 'f', 'g']))).toEqual([
      'conv2d', 'batch_normalization', 'max_pooling2d', 'conv2d_1', 'flatten', 'dropout', 'dense',
    ]);
  });
});

describe('saveModel → loadModel', () => {
  it('round-trips weights bit for bit, predictions, and the optimizer with its state and step', async () => {
    const original = await trained(['features', undefined, 'pool', 'conv2d_13', undefined, 'drop', 'digits']);
    const path = join(mkdtempSync(join(tmpdir(), 'keras-file-')), 'model.keras');
    await saveModel(original, path);

    const loaded = await loadModel(path);
    expect(loaded.layers.map((l) => l.name)).toEqual(original.layers.map((l) => l.name));
    expect(toKerasJson(loaded)).toEqual(toKerasJson(original));
    // No optimizer: the file's Adam resumes. The seed (dropout's stream) is not in a .keras file.
    await loaded.compile({ device, seed: 3 });
    expect(loaded.trainingState().optimizer.config).toEqual({ kind: 'adam', learningRate: Math.fround(0.01), beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expect(loaded.trainingState().optimizerSteps).toBe(3);
    expect(await loaded.getWeights()).toEqual(await original.getWeights());
    expect(await optimizerState(loaded)).toEqual(await optimizerState(original));
    expect(await loaded.predict(input)).toEqual(await original.predict(input));

    // Both take the same next step.
    const x = randomFloats(4 * 7 * 7 * 2, 99, 0, 1);
    const y = Uint8Array.of(4, 3, 2, 1);
    await original.trainOnBatch(x, y);
    await loaded.trainOnBatch(x, y);
    expect(await loaded.getWeights()).toEqual(await original.getWeights());
    original.dispose();
    loaded.dispose();
  });

  it('writes Keras 3 layout: config.json with compile_config, metadata.json, layers/<snake_case>/vars/<i>, optimizer/vars/<i>', async () => {
    const m = await trained(['features', 'norm', 'pool', 'more', 'flat', 'drop', 'digits']);
    const path = join(mkdtempSync(join(tmpdir(), 'keras-file-')), 'layout.keras');
    await saveModel(m, path);
    const entries = unzipSync(new Uint8Array(readFileSync(path)));
    expect(Object.keys(entries).sort()).toEqual(['config.json', 'metadata.json', 'model.weights.h5']);
    const config = JSON.parse(new TextDecoder().decode(entries['config.json']));
    expect(config.class_name).toBe('Sequential');
    expect(config.compile_config.optimizer).toMatchObject({ module: 'keras.optimizers', class_name: 'Adam', config: { beta_1: 0.9, amsgrad: false } });
    expect(JSON.parse(new TextDecoder().decode(entries['metadata.json'])).keras_version).toMatch(/^3\./);

    const { file, close } = await openWithH5wasm(entries['model.weights.h5']);
    try {
      const weights = await m.getWeights();
      const paths = ['conv2d/vars/0', 'conv2d/vars/1', 'batch_normalization/vars/0', 'batch_normalization/vars/1', 'batch_normalization/vars/2', 'batch_normalization/vars/3', 'conv2d_1/vars/0', 'conv2d_1/vars/1', 'dense/vars/0', 'dense/vars/1'];
      paths.forEach((p, i) => {
        const dataset = file.get(`layers/${p}`) as import('h5wasm').Dataset;
        expect(dataset.dtype, p).toBe('<f');
        expect(Array.from(dataset.value as Float32Array), p).toEqual(Array.from(weights[i]));
      });
      expect((file.get('layers/conv2d/vars/0') as import('h5wasm').Dataset).shape).toEqual([3, 3, 2, 3]);
      expect((file.get('layers/dense/vars') as import('h5wasm').Group).attrs.name.value).toBe('digits');
      expect((file.get('layers/max_pooling2d/vars') as import('h5wasm').Group).keys()).toEqual([]);
      const vars = file.get('optimizer/vars') as import('h5wasm').Group;
      expect(vars.keys().length).toBe(2 + 2 * 8); // iterations, learning rate, m and v of 8 trainable weights (BN's gamma and beta too)
      expect((vars.get('0') as import('h5wasm').Dataset).value).toBe(3);
      expect((vars.get('0') as import('h5wasm').Dataset).shape).toEqual([]);
      expect((vars.get('2') as import('h5wasm').Dataset).shape).toEqual([3, 3, 2, 3]); // m of conv2d/kernel
      expect((vars.get('3') as import('h5wasm').Dataset).shape).toEqual([3, 3, 2, 3]); // v of conv2d/kernel
    } finally {
      close();
    }
    m.dispose();
  });

  it("names each optimizer as Keras 3 names one created without a name (its to_snake_case of the class: 'adam_w', 'rm_sprop')", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keras-file-')), 'named.keras');
    // Keras 3.15.1's keras.src.utils.naming.to_snake_case of each class name; adamw.keras, written by Keras, holds 'adam_w'.
    const kerasNames = { sgd: ['SGD', 'sgd'], adam: ['Adam', 'adam'], adamw: ['AdamW', 'adam_w'], adamax: ['Adamax', 'adamax'], adadelta: ['Adadelta', 'adadelta'], rmsprop: ['RMSprop', 'rm_sprop'], adagrad: ['Adagrad', 'adagrad'], nadam: ['Nadam', 'nadam'] } as const;
    for (const [kind, [className, name]] of Object.entries(kerasNames)) {
      const m = model();
      await m.compile({ device, optimizer: { kind: kind as keyof typeof kerasNames } });
      await saveModel(m, path);
      const optimizer = JSON.parse(new TextDecoder().decode(unzipSync(new Uint8Array(readFileSync(path)))['config.json'])).compile_config.optimizer;
      expect([optimizer.class_name, optimizer.config.name], kind).toEqual([className, name]);
      m.dispose();
    }
  });

  it("Nadam: written with Keras' u_product after the state (μ_1·μ_2·μ_3 after 3 steps), read back to the same next step", async () => {
    const m = model();
    await m.compile({ device, optimizer: 'nadam', seed: 3 });
    for (let s = 0; s < 3; s++) await m.trainOnBatch(randomFloats(4 * 7 * 7 * 2, 60 + s, 0, 1), Uint8Array.of(0, 1, 2, 3));
    const path = join(mkdtempSync(join(tmpdir(), 'keras-file-')), 'nadam.keras');
    await saveModel(m, path);
    const { file, close } = await openWithH5wasm(unzipSync(new Uint8Array(readFileSync(path)))['model.weights.h5']);
    try {
      const vars = file.get('optimizer/vars') as import('h5wasm').Group;
      expect(vars.keys().length).toBe(2 + 2 * 8 + 1); // iterations, learning rate, m and v of 8 trainable weights, u_product
      // μ_i = 0.9·(1 − ½·0.96^i): 0.468, 0.48528, 0.5018688 (Keras' nadam.py, by hand).
      const uProduct = vars.get(String(2 + 2 * 8)) as import('h5wasm').Dataset;
      expect(uProduct.shape).toEqual([]);
      expect(uProduct.value as number).toBeCloseTo(0.468 * 0.48528 * 0.5018688, 7);
    } finally {
      close();
    }
    const loaded = await loadModel(path);
    await loaded.compile({ device, seed: 3 });
    expect(loaded.trainingState().optimizerSteps).toBe(3);
    const x = randomFloats(4 * 7 * 7 * 2, 99, 0, 1);
    await m.trainOnBatch(x, Uint8Array.of(4, 3, 2, 1));
    await loaded.trainOnBatch(x, Uint8Array.of(4, 3, 2, 1));
    expect(await loaded.getWeights()).toEqual(await m.getWeights());
    m.dispose();
    loaded.dispose();
  });

  it("writes the optimizer's gradient clipping as Keras does (clipnorm, clipvalue, global_clipnorm), and reads it back", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keras-file-')), 'clipped.keras');
    for (const [clipping, written] of [[{ clipNorm: 0.5 }, { clipnorm: 0.5, clipvalue: null, global_clipnorm: null }], [{ clipValue: 0.25 }, { clipnorm: null, clipvalue: 0.25, global_clipnorm: null }], [{ globalClipNorm: 2 }, { clipnorm: null, clipvalue: null, global_clipnorm: 2 }]] as const) {
      const m = model();
      await m.compile({ device, optimizer: { kind: 'adam', ...clipping } });
      await saveModel(m, path);
      const optimizer = JSON.parse(new TextDecoder().decode(unzipSync(new Uint8Array(readFileSync(path)))['config.json'])).compile_config.optimizer;
      expect(optimizer.config).toMatchObject(written);
      const loaded = await loadModel(path);
      await loaded.compile({ device });
      expect(loaded.trainingState().optimizer.config).toMatchObject(clipping);
      m.dispose();
      loaded.dispose();
    }
  });

  it('writes an integral learning rate as a float (1.0, 0.0): Keras refuses one Python reads as an int', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'keras-file-')), 'rate.keras');
    for (const [learningRate, written] of [[1, '"learning_rate":1.0,'], [0, '"learning_rate":0.0,'], [0.25, '"learning_rate":0.25,']] as const) {
      const m = model();
      await m.compile({ device, optimizer: { kind: 'adadelta', learningRate } });
      await saveModel(m, path);
      const configJson = new TextDecoder().decode(unzipSync(new Uint8Array(readFileSync(path)))['config.json']);
      expect(configJson).toContain(written);
      expect(JSON.parse(configJson).compile_config.optimizer.config.learning_rate).toBe(learningRate);
      m.dispose();
    }
  });
});

/**
 * Weights and names of `m` in a legacy HDF5 group as tf.keras 2 writes it: layer/layer/kernel:0,
 * its names as bytes (fixed-length, NUL-padded strings), an empty weight_names as an empty float array.
 */
async function tfKeras2Group(m: Sequential): Promise<Tree> {
  const weights = await m.getWeights();
  const group: Tree = { attrs: { layer_names: new FixedStrings(m.layers.map((l) => l.name)), backend: new FixedStrings('tensorflow'), keras_version: new FixedStrings('2.15.0') } };
  let next = 0;
  for (const layer of m.layers) {
    const names = layer.weightSlots.map((s) => `${s.name}:0`); // features/kernel:0
    const entry: Tree = { attrs: { weight_names: names.length > 0 ? new FixedStrings(names) : [] } };
    for (const [i, slot] of layer.weightSlots.entries()) entry[names[i]] = { shape: slot.shape, data: weights[next++] };
    group[layer.name] = entry;
  }
  return group;
}

describe('files written through h5wasm in Keras’ layouts, read by the engine', () => {
  it('tf.keras 2 legacy .h5: model_config, model_weights/<layer>/<layer>/kernel:0, layer_names and weight_names', async () => {
    const source = await trained(['features', 'norm', 'pool', 'more', 'flat', 'drop', 'digits']);
    const h5 = await writeH5({
      attrs: { model_config: new FixedStrings(toKerasJson(source, { layout: 'keras2' })), keras_version: new FixedStrings('2.15.0'), backend: new FixedStrings('tensorflow') },
      model_weights: await tfKeras2Group(source),
    });
    const loaded = decodeKerasModel(h5, 'tf2.h5');
    expect(loaded.layers.map((l) => l.name)).toEqual(['features', 'norm', 'pool', 'more', 'flat', 'drop', 'digits']);
    await expect(loaded.compile({ device })).rejects.toThrow(/compile needs \{ optimizer \}/);
    await loaded.compile({ device, optimizer: 'sgd' });
    expect(await loaded.getWeights()).toEqual(await source.getWeights());
    expect(await loaded.predict(input)).toEqual(await source.predict(input));
    source.dispose();
    loaded.dispose();
  });

  it('tf.keras 2 weights-only .h5 (layer_names at the root) into a compiled model', async () => {
    const source = await trained();
    const target = model();
    await target.compile({ device, optimizer: 'sgd' });
    await loadKerasWeights(target, await writeH5(await tfKeras2Group(source)), 'tf2.weights.h5');
    expect(await target.getWeights()).toEqual(await source.getWeights());
    source.dispose();
    target.dispose();
  });

  it('Keras 3 .keras whose config names layers conv2d_12, conv2d_13, dense_12 while its weights sit at conv2d, conv2d_1, dense', async () => {
    const source = await trained(['conv2d_12', 'batch_normalization_7', 'max_pooling2d_3', 'conv2d_13', 'flatten_2', 'dropout_5', 'dense_12']);
    const weights = await source.getWeights();
    const vars = (...values: Float32Array[]) => ({ vars: Object.fromEntries(values.map((v, i) => [String(i), { shape: [v.length], data: v }])) });
    const slots = source.layers.flatMap((l) => l.weightSlots);
    const shaped = (i: number) => ({ shape: slots[i].shape, data: weights[i] });
    const h5 = await writeH5({
      layers: {
        conv2d: { vars: { attrs: { name: 'conv2d_12' }, '0': shaped(0), '1': shaped(1) } },
        batch_normalization: { vars: { attrs: { name: 'batch_normalization_7' }, '0': shaped(2), '1': shaped(3), '2': shaped(4), '3': shaped(5) } },
        max_pooling2d: vars(),
        conv2d_1: { vars: { '0': shaped(6), '1': shaped(7) } },
        flatten: vars(),
        dropout: vars(),
        dense: { vars: { '0': shaped(8), '1': shaped(9) } },
      },
    });
    const config = JSON.parse(toKerasJson(source));
    config.compile_config = { optimizer: { module: 'keras.optimizers', class_name: 'Ftrl', config: { learning_rate: 0.001 } }, loss: 'categorical_crossentropy' };
    const keras = zipSync({ 'metadata.json': new TextEncoder().encode('{"keras_version": "3.6.0"}'), 'config.json': new TextEncoder().encode(JSON.stringify(config)), 'model.weights.h5': h5 });
    const loaded = decodeKerasModel(keras, 'named.keras');
    // Ftrl is not the engine's: the weights load, the optimizer must be given.
    await expect(loaded.compile({ device })).rejects.toThrow(/Ftrl is not one the engine has/);
    await loaded.compile({ device, optimizer: 'sgd' });
    expect(await loaded.getWeights()).toEqual(weights);
    source.dispose();
    loaded.dispose();
  });

  it('float64 weights are converted to float32 (rounded to nearest)', async () => {
    const target = new Sequential([layers.dense({ units: 2, activation: 'softmax', inputShape: [3] })]);
    await target.compile({ device, optimizer: 'sgd' });
    const kernel = Float64Array.from({ length: 6 }, (_, i) => 0.1 * (i + 1));
    const h5 = await writeH5({ layers: { dense: { vars: { '0': { shape: [3, 2], data: kernel }, '1': { shape: [2], data: Float64Array.of(1 / 3, -2 / 3) } } } } });
    await loadKerasWeights(target, h5, 'f64.weights.h5');
    const [k, b] = await target.getWeights();
    expect(k).toEqual(Float32Array.from(kernel));
    expect(b).toEqual(Float32Array.of(1 / 3, -2 / 3));
    target.dispose();
  });
});
