/**
 * Weights files: safetensors and the TF.js format (model.json + .bin shards) round-trip a
 * model's weights under Keras' names; a truncated, misnamed, misshapen or garbled file is an
 * error that names the problem and leaves the model's weights as they were.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Sequential, layers } from '../../src/index.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/io/safetensors.js';
import { encodeWeightsSafetensors, loadWeightsSafetensors, namedWeights } from '../../src/io/model-weights.js';
import { decodeTfjsWeights, encodeTfjs, loadTfjsWeights, parseTfjsModelJson } from '../../src/io/tfjs.js';
import { loadWeights, saveWeights } from '../../src/io/files.js';
import { randomFloats, testDevice } from '../helpers/gpu.js';

/** conv → batch norm → pool → flatten → dense: trainable and non-trainable weights, 6 tensors + 2 BN stats. */
function tinyModel(filters = 4): Sequential {
  return new Sequential([
    layers.conv2d({ filters, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1] }),
    layers.batchNormalization(),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
}

async function compiled(seed: number, filters = 4): Promise<Sequential> {
  const model = tinyModel(filters);
  await model.compile({ device: await testDevice(), optimizer: 'sgd', seed });
  return model;
}

/** Random BN statistics too, so that loading them is tested (the initial ones are 0 and 1). */
async function randomize(model: Sequential, seed: number): Promise<void> {
  const weights = await model.getWeights();
  model.setWeights(weights.map((w, i) => randomFloats(w.length, seed + i, 0.1, 1)));
}

describe('safetensors format', () => {
  it('decodes what it encodes, metadata included', () => {
    const tensors = [
      { name: 'a/kernel', shape: [2, 3], data: randomFloats(6, 1) },
      { name: 'a/bias', shape: [3], data: randomFloats(3, 2) },
    ];
    const decoded = decodeSafetensors(encodeSafetensors(tensors, { note: 'x' }));
    expect(decoded.metadata).toEqual({ format: 'webgpu-dl', note: 'x' });
    expect(decoded.tensors).toEqual(tensors);
    // A Node Buffer (from readFileSync) is a view into a larger pool, at an odd offset here.
    const pooled = Buffer.concat([Buffer.alloc(3), Buffer.from(encodeSafetensors(tensors))]).subarray(3);
    expect(decodeSafetensors(pooled).tensors).toEqual(tensors);
  });

  it('refuses truncated, padded, garbled and non-F32 files with errors that say why', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [4], data: randomFloats(4, 3) }]);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 1), 'w.safetensors')).toThrow(/w.safetensors: .*truncated: tensor w ends at byte 16 of the data, which has 15 bytes/);
    expect(() => decodeSafetensors(bytes.subarray(0, 20))).toThrow(/truncated: the header needs/);
    expect(() => decodeSafetensors(bytes.subarray(0, 5))).toThrow(/shorter than the 8-byte header length/);
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes);
    expect(() => decodeSafetensors(padded)).toThrow(/4 bytes after the last tensor/);
    expect(() => decodeSafetensors(new TextEncoder().encode('{"not": "safetensors"}'))).toThrow(/not a valid safetensors file/);
    const header = (json: string) => {
      const h = new TextEncoder().encode(json);
      const out = new Uint8Array(8 + h.length + 8);
      new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
      out.set(h, 8);
      return out;
    };
    expect(() => decodeSafetensors(header('{"w": {"dtype": "I16", "shape": [4], "data_offsets": [0, 8]}}'))).toThrow(/tensor w has dtype I16; only float tensors/);
    expect(() => decodeSafetensors(header('{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}'))).toThrow(/tensor w: 8 bytes for 4 F32 values/);
    expect(() => decodeSafetensors(header('{"w": '))).toThrow(/the header is not JSON/);
  });
});

describe('model weights files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-weights-'));
  });
  afterAll(async () => (await testDevice()).throwIfFailed());

  const x = randomFloats(3 * 36, 7, 0, 1);

  for (const format of ['safetensors', 'tfjs'] as const) {
    it(`${format}: a saved model loads into another with the same weights and predictions`, async () => {
      const source = await compiled(1);
      await randomize(source, 10);
      const path = join(dir, format === 'safetensors' ? 'w.safetensors' : 'model.json');
      await saveWeights(source, path);
      const target = await compiled(2);
      expect(await target.getWeights()).not.toEqual(await source.getWeights());
      await loadWeights(target, path);
      expect(await target.getWeights()).toEqual(await source.getWeights());
      expect(await target.predict(x)).toEqual(await source.predict(x));
      source.dispose();
      target.dispose();
    });
  }

  it('names and shapes the tensors as Keras does', async () => {
    const model = await compiled(1);
    const decoded = decodeSafetensors(await encodeWeightsSafetensors(model));
    expect(decoded.tensors.map((t) => `${t.name} [${t.shape}]`)).toEqual([
      'conv2d/kernel [3,3,1,4]',
      'conv2d/bias [4]',
      'batch_normalization/gamma [4]',
      'batch_normalization/beta [4]',
      'batch_normalization/moving_mean [4]',
      'batch_normalization/moving_variance [4]',
      'dense/kernel [16,3]',
      'dense/bias [3]',
    ]);
    const { modelJson } = await encodeTfjs(model);
    expect(modelJson.weightsManifest[0].weights.map((w) => w.name)).toEqual(decoded.tensors.map((t) => t.name));
    model.dispose();
  });

  it('splits TF.js weights into shards and joins them again', async () => {
    const model = await compiled(3);
    await randomize(model, 20);
    const { modelJson, shards } = await encodeTfjs(model, { shardBytes: 100 });
    expect(shards.length).toBe(Math.ceil((4 * (36 + 4 + 4 * 4 + 48 + 3)) / 100)); // 428 bytes
    const decoded = decodeTfjsWeights(modelJson, new Map(shards.map((s) => [s.path, s.data])));
    expect(decoded).toEqual(await namedWeights(model));
    model.dispose();
  });

  describe('a bad file is a clear error and leaves the weights unchanged', () => {
    let model: Sequential;
    let before: Float32Array[];
    let good: Uint8Array;
    beforeAll(async () => {
      model = await compiled(4);
      before = await model.getWeights();
      const other = await compiled(5);
      good = await encodeWeightsSafetensors(other);
      other.dispose();
    });
    afterAll(() => model.dispose());

    const cases: [string, () => Promise<Uint8Array>, RegExp][] = [
      ['truncated', async () => good.subarray(0, good.length - 10), /truncated: tensor dense\/bias ends at byte/],
      ['wrong shapes', async () => {
        const wider = await compiled(6, 5);
        const bytes = await encodeWeightsSafetensors(wider);
        wider.dispose();
        return bytes;
      }, /conv2d\/kernel has shape \[3,3,1,5\], the model needs \[3,3,1,4\]/],
      ['wrong names', async () => {
        const renamed = decodeSafetensors(good).tensors.map((t) => ({ ...t, name: t.name.replace('dense/', 'dense_7/') }));
        return encodeSafetensors(renamed);
      }, /the weight names do not match the model's \(missing dense\/kernel, dense\/bias; not in the model: dense_7\/kernel, dense_7\/bias\)/],
      ['not safetensors', async () => new TextEncoder().encode('{"format": "layers-model"}'), /not a valid safetensors file/],
    ];
    for (const [what, make, message] of cases) {
      it(`safetensors, ${what}`, async () => {
        const bytes = await make();
        expect(() => loadWeightsSafetensors(model, bytes, 'bad.safetensors')).toThrow(message);
        expect(await model.getWeights()).toEqual(before);
      });
    }

    it('TF.js: not JSON, a missing or truncated shard, wrong dtypes, names and shapes', async () => {
      const other = await compiled(7);
      const { modelJson, shards } = await encodeTfjs(other);
      other.dispose();
      const files = () => new Map(shards.map((s) => [s.path, s.data]));
      const shard = shards[0].path;
      const edit = (change: (m: any) => void) => {
        const copy = JSON.parse(JSON.stringify(modelJson));
        change(copy);
        return copy;
      };
      const attempts: [() => void, RegExp][] = [
        [() => parseTfjsModelJson('{"modelTopology": ', 'model.json'), /model.json: not valid JSON/],
        [() => parseTfjsModelJson('{"format": "graph-model", "modelTopology": {}, "weightsManifest": []}'), /format 'graph-model' is not a TF.js layers model/],
        [() => loadTfjsWeights(model, modelJson, new Map()), /the weights file group1-shard1of1.bin is missing/],
        [() => loadTfjsWeights(model, modelJson, new Map([[shard, shards[0].data.subarray(0, 150)]])), /truncated weights: conv2d\/bias needs bytes/],
        [() => loadTfjsWeights(model, edit((m) => (m.weightsManifest[0].weights[7].dtype = 'float16')), files()), /weight dense\/bias has dtype "float16"; only float32/],
        [() => loadTfjsWeights(model, edit((m) => (m.weightsManifest[0].weights[0].name = 'conv2d_1/kernel')), files()), /missing conv2d\/kernel; not in the model: conv2d_1\/kernel/],
        [() => loadTfjsWeights(model, edit((m) => {
          m.weightsManifest[0].weights[6].shape = [3, 16];
        }), files()), /dense\/kernel has shape \[3,16\], the model needs \[16,3\]/],
        [() => loadTfjsWeights(model, edit((m) => m.weightsManifest[0].weights.pop()), files()), /hold 428 bytes, the manifest's weights 416/],
      ];
      for (const [attempt, message] of attempts) {
        expect(attempt).toThrow(message);
        expect(await model.getWeights()).toEqual(before);
      }
    });

    it('files: a wrong extension, a missing file, text that is not JSON', async () => {
      await expect(loadWeights(model, join(dir, 'weights.bin'))).rejects.toThrow(/name weights files \*.safetensors .*, \*.json .*, \*.keras or \*.h5/);
      await expect(loadWeights(model, join(dir, 'absent.safetensors'))).rejects.toThrow(/cannot read .*absent.safetensors/);
      writeFileSync(join(dir, 'broken.json'), '{"modelTopology": {');
      await expect(loadWeights(model, join(dir, 'broken.json'))).rejects.toThrow(/broken.json: not valid JSON/);
      expect(readFileSync(join(dir, 'broken.json'), 'utf8')).toContain('modelTopology');
      expect(await model.getWeights()).toEqual(before);
    });
  });
});
