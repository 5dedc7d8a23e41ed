/**
 * TF.js weights that its converter quantized (--quantize_float16, --quantize_uint8,
 * --quantize_uint16): the manifest marks each weight with a `quantization`, and the engine reads
 * them as TF.js' own decodeWeights does; quantizations TF.js cannot read are refused.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sequential, layers, readWeights, toKerasJson } from '../../src/index.js';
import { decodeTfjsWeights, type TfjsModelJson, type TfjsWeightSpec } from '../../src/io/tfjs.js';

/** Deterministic pseudo-random bytes. */
function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let state = seed;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

const SPECS: TfjsWeightSpec[] = [
  { name: 'conv2d/kernel', shape: [3, 3, 1, 4], dtype: 'float32', quantization: { dtype: 'float16' } },
  { name: 'conv2d/bias', shape: [4], dtype: 'float32' },
  { name: 'dense/kernel', shape: [64, 5], dtype: 'float32', quantization: { dtype: 'uint8', scale: 0.0123, min: -1.57 } },
  { name: 'dense/bias', shape: [5], dtype: 'float32', quantization: { dtype: 'uint16', scale: 3.1e-5, min: -0.9 } },
];
const SIZES = [36 * 2, 4 * 4, 320, 5 * 2];

/**
 * The group's bytes in manifest order: float32 values for the plain weight, quantized bytes for
 * the others; the float16 weight opens with ±infinity, NaN, ±0, subnormals and 1.
 */
function groupBytes(): Uint8Array {
  const parts = SIZES.map((n, i) => (i === 1 ? new Uint8Array(Float32Array.of(0.5, -0.25, 1e-3, 3).buffer) : bytes(n, i + 1)));
  parts[0].set(new Uint8Array(Uint16Array.of(0x7c00, 0xfc00, 0x7e00, 0x0000, 0x8000, 0x0001, 0x83ff, 0x3c00).buffer));
  const all = new Uint8Array(SIZES.reduce((a, b) => a + b));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

describe('TF.js quantized weights', () => {
  it("decode as TF.js' decodeWeights does, across two shards", () => {
    const all = groupBytes();
    const cut = 50; // a shard boundary inside the float16 weight
    const modelJson = { modelTopology: {}, weightsManifest: [{ paths: ['a.bin', 'b.bin'], weights: SPECS }] } as TfjsModelJson;
    const ours = decodeTfjsWeights(modelJson, new Map([['a.bin', all.slice(0, cut)], ['b.bin', all.slice(cut)]]));
    const theirs = tf.io.decodeWeights(all.slice().buffer, SPECS as tf.io.WeightsManifestEntry[]);
    expect(ours.map((t) => t.name)).toEqual(SPECS.map((s) => s.name));
    for (const t of ours) {
      expect(t.shape).toEqual(theirs[t.name].shape);
      // Values, not bits: TF.js keeps a float16 NaN's payload, the engine makes it float32's NaN.
      expect(Array.from(t.data), t.name).toEqual(Array.from(theirs[t.name].dataSync() as Float32Array));
    }
    expect(Array.from(ours[0].data.subarray(0, 8))).toEqual([Infinity, -Infinity, NaN, 0, -0, 2 ** -24, -(1023 * 2 ** -24), 1]);
  });

  it('load by name from a model.json on disk, as the converter writes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfjs-quantized-'));
    const model = new Sequential([
      layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [10, 10, 1] }),
      layers.maxPooling2d({ poolSize: 2 }),
      layers.flatten(),
      layers.dense({ units: 5, activation: 'softmax' }),
    ]);
    const specs = SPECS.map((s) => (s.name === 'conv2d/kernel' ? { ...s, quantization: { dtype: 'uint8', scale: 0.01, min: -1 } } : s));
    const sizes = [36, 16, 320, 10];
    const all = groupBytes().subarray(72 - 36); // any bytes of the right total size
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: JSON.parse(toKerasJson(model, { layout: 'keras2' })), weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: specs }] }));
    writeFileSync(join(dir, 'group1-shard1of1.bin'), all.subarray(0, sizes.reduce((a, b) => a + b)));
    const weights = await readWeights(model, join(dir, 'model.json'));
    expect(weights.map((w) => w.length)).toEqual([36, 4, 320, 5]);
    expect(Math.min(...weights[0])).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...weights[0])).toBeLessThanOrEqual(-1 + 255 * 0.01 + 1e-6);
  });

  it('refuses a quantization TF.js cannot read, and uint8 without its scale', () => {
    const decode = (quantization: object) =>
      decodeTfjsWeights({ modelTopology: {}, weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'w', shape: [4], dtype: 'float32', quantization } as TfjsWeightSpec] }] } as TfjsModelJson, new Map([['w.bin', new Uint8Array(4)]]));
    expect(() => decode({ dtype: 'int8', scale: 1, min: 0 })).toThrow(`model.json: weight w: quantization dtype "int8" is not one TF.js reads (float16, uint8, uint16)`);
    expect(() => decode({ dtype: 'uint8', min: 0 })).toThrow(/weight w: uint8 quantization needs a finite scale and min/);
    expect(() => decode({ dtype: 'uint16', scale: 1, min: 0 })).toThrow(/truncated weights: w needs bytes 0..8/);
  });
});
