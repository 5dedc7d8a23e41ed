/**
 * Bad Keras files: each is an error that names the file and the part at fault, and loading one
 * into a compiled model leaves its weights as they were.
 */
import { readFileSync } from 'node:fs';
import { unzipSync, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequential, layers } from '../../src/index.js';
import { decodeKerasModel, loadKerasWeights } from '../../src/io/keras-file/index.js';
import { randomFloats, testDevice } from '../helpers/gpu.js';
import { writeH5 } from './keras-h5-files.js';

const conv = () => new Uint8Array(readFileSync('test/fixtures/keras-files/conv-adam.keras'));
const h5 = () => new Uint8Array(readFileSync('test/fixtures/keras-files/conv-bn.h5'));
const text = (s: string) => new TextEncoder().encode(s);

/** Dense 4 → 3: the target of the weights-file errors. */
let target: Sequential;
let before: Float32Array[];

beforeAll(async () => {
  target = new Sequential([layers.dense({ units: 3, activation: 'softmax', inputShape: [4], name: 'out' })]);
  await target.compile({ device: await testDevice(), optimizer: 'sgd' });
  target.setWeights([randomFloats(12, 1), randomFloats(3, 2)]);
  before = await target.getWeights();
});
afterAll(() => target.dispose());

/** Loading `bytes` into the compiled model fails with `message`, and its weights stay as they were. */
async function refused(bytes: Uint8Array, name: string, message: RegExp): Promise<void> {
  await expect(loadKerasWeights(target, bytes, name)).rejects.toThrow(message);
  expect(await target.getWeights()).toEqual(before);
}

const kernel = (shape = [4, 3]) => ({ shape, data: randomFloats(shape[0] * (shape[1] ?? 1), 7) });

describe('bad .keras and .h5 files', () => {
  it('not a zip, a damaged zip, a zip without config.json or without model.weights.h5', async () => {
    expect(() => decodeKerasModel(text('hello, not a model'), 'notes.keras')).toThrow(/^notes.keras: neither a .keras file \(a zip archive\) nor an HDF5 .h5 file$/);
    const damaged = conv().slice(0, 200);
    expect(() => decodeKerasModel(damaged, 'cut.keras')).toThrow(/^cut.keras: not a valid zip archive .*a .keras file is a zip/);
    const { 'config.json': _config, ...noConfig } = unzipSync(conv());
    expect(() => decodeKerasModel(zipSync(noConfig), 'noconfig.keras')).toThrow(/^noconfig.keras: the zip holds no config.json \(it holds metadata.json, model.weights.h5\)/);
    const { 'model.weights.h5': _weights, ...noWeights } = unzipSync(conv());
    expect(() => decodeKerasModel(zipSync(noWeights), 'noweights.keras')).toThrow(/^noweights.keras: the zip holds no model.weights.h5/);
    await refused(text('hello'), 'notes.weights.h5', /^notes.weights.h5: not an HDF5 file/);
  });

  it('a truncated HDF5 file, alone or inside a .keras', async () => {
    const bytes = h5();
    expect(() => decodeKerasModel(bytes.slice(0, bytes.length >> 1), 'half.h5')).toThrow(/^half.h5: .*damaged or truncated/);
    expect(() => decodeKerasModel(bytes.slice(0, 100), 'head.h5')).toThrow(/^head.h5: .*damaged or truncated/);
    const entries = unzipSync(conv());
    entries['model.weights.h5'] = entries['model.weights.h5'].slice(0, 60_000);
    expect(() => decodeKerasModel(zipSync(entries), 'cut.keras')).toThrow(/^cut.keras: model.weights.h5: .*damaged or truncated/);
    const whole = await writeH5({ layers: { dense: { vars: { '0': kernel(), '1': kernel([3]) } } } });
    await refused(whole.slice(0, whole.length - 200), 'cut.weights.h5', /^cut.weights.h5: .*damaged or truncated/);
  });

  it('a weight missing, or of the wrong shape, in either layout', async () => {
    await refused(await writeH5({ layers: { dense: { vars: { '0': kernel() } } } }), 'one.weights.h5', /^one.weights.h5: \/layers\/dense\/vars holds 1 weights; layer 'out' \(Dense\) has 2$/);
    await refused(await writeH5({ layers: { other: { vars: { '0': kernel() } } } }), 'moved.weights.h5', /^moved.weights.h5: \/layers\/other holds weights, but the model has no such layer/);
    await refused(
      await writeH5({ layers: { dense: { vars: { '0': kernel([3, 4]), '1': kernel([3]) } } } }),
      'shape.weights.h5',
      /^shape.weights.h5: \/layers\/dense\/vars\/0 \(out\/kernel of Dense layer 'out'\) has shape \[3,4\]; the model needs \[4,3\]$/,
    );
    const legacy = (names: string[], datasets: Record<string, ReturnType<typeof kernel>>) =>
      writeH5({ attrs: { layer_names: ['out'] }, out: { attrs: { weight_names: names }, ...datasets } });
    await refused(await legacy(['out/kernel:0', 'out/bias:0'], { 'out/kernel:0': kernel() }), 'legacy.h5', /^legacy.h5: cannot read \/out\/out\/bias:0 .*damaged or truncated|^legacy.h5: \/out\/out\/bias:0 is missing/);
    await refused(await legacy(['out/kernel:0'], { 'out/kernel:0': kernel() }), 'legacy.h5', /^legacy.h5: \/out holds 1 weights \(out\/kernel:0\); layer 'out' \(Dense\) has 2$/);
    await refused(
      await legacy(['out/bias:0', 'out/kernel:0'], { 'out/kernel:0': kernel(), 'out/bias:0': kernel([3]) }),
      'swapped.h5',
      /^swapped.h5: \/out\/out\/bias:0 is weight 0 of layer 'out', where the model's layer 'out' has kernel$/,
    );
  });

  it('integer weights are refused; float16 and float64 are converted (keras-file-fixtures, keras-file tests)', async () => {
    const ints = { shape: [4, 3], data: Int32Array.from({ length: 12 }, (_, i) => i) };
    await refused(await writeH5({ layers: { dense: { vars: { '0': ints, '1': kernel([3]) } } } }), 'int.weights.h5', /^int.weights.h5: \/layers\/dense\/vars\/0 holds int32 values; weights must be float32/);
  });

  it('an unsupported layer or argument, or broken JSON, in config.json names the file, the part and the layer', () => {
    const entries = unzipSync(conv());
    const config = JSON.parse(new TextDecoder().decode(entries['config.json']));
    config.config.layers[1].class_name = 'LSTM';
    entries['config.json'] = text(JSON.stringify(config));
    expect(() => decodeKerasModel(zipSync(entries), 'lstm.keras')).toThrow(/^lstm.keras: config.json: .*LSTM/);
    config.config.layers[1].class_name = 'Conv2D';
    config.config.layers[1].config.groups = 2;
    entries['config.json'] = text(JSON.stringify(config));
    expect(() => decodeKerasModel(zipSync(entries), 'grouped.keras')).toThrow(/^grouped.keras: config.json: Conv2D layer 'features': unsupported argument groups/);
    entries['config.json'] = text('{"class_name": "Sequential", ');
    expect(() => decodeKerasModel(zipSync(entries), 'broken.keras')).toThrow(/^broken.keras: config.json: not valid JSON/);
  });

  it('a weights-only file given to loadModel says how to load it', () => {
    expect(() => decodeKerasModel(new Uint8Array(readFileSync('test/fixtures/keras-files/dense.weights.h5')), 'dense.weights.h5')).toThrow(
      /^dense.weights.h5: holds weights only \(no model_config attribute\).*loadWeights/,
    );
  });

  it('a saved optimizer whose variables do not fit the model is an error naming them', () => {
    const entries = unzipSync(conv());
    const config = JSON.parse(new TextDecoder().decode(entries['config.json']));
    config.compile_config.optimizer = { class_name: 'SGD', config: { learning_rate: 0.01, momentum: 0.9 } }; // 1 slot per weight, the file has Adam's 2
    entries['config.json'] = text(JSON.stringify(config));
    expect(() => decodeKerasModel(zipSync(entries), 'mixed.keras')).toThrow(/^mixed.keras: model.weights.h5: the sgd optimizer has 10 variables; for this model it needs 6/);
  });
});
