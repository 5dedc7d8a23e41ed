/**
 * safetensors files that the Python `safetensors` library wrote in the float dtypes other tools
 * save weights in (test/fixtures/safetensors/generate.py): F16 and BF16 read exactly, F64
 * rounded to nearest float32, each bit for bit as numpy converts them; an integer tensor is
 * refused by name.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Sequential, decodeSafetensors, layers, readWeights } from '../../src/index.js';

const DIR = 'test/fixtures/safetensors/';
/** Per file, per tensor: the float32 bits numpy's astype(float32) gives. */
const expected: Record<string, Record<string, number[]>> = JSON.parse(readFileSync(`${DIR}expected.json`, 'utf8'));
const bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

describe('safetensors of other float dtypes', () => {
  it.each(['F16', 'BF16', 'F64'])('%s: zeros, extremes, subnormals and every magnitude as numpy converts them to float32, bit for bit', (dtype) => {
    const file = `values-${dtype}.safetensors`;
    const { tensors, metadata } = decodeSafetensors(new Uint8Array(readFileSync(DIR + file)), file);
    expect(metadata).toEqual({ written_by: 'safetensors (Python)' });
    expect(tensors.map((t) => [t.name, t.shape])).toEqual([['values', [expected[file].values.length]]]);
    expect(tensors[0].data).toBeInstanceOf(Float32Array);
    expect(bits(tensors[0].data)).toEqual(expected[file].values);
  });

  it.each(['F16', 'BF16', 'F64'])('%s weights load into a model by name', async (dtype) => {
    const file = `tiny-${dtype}.safetensors`;
    const model = new Sequential([layers.dense({ units: 3, inputShape: [4] })]);
    const [kernel, bias] = await readWeights(model, DIR + file);
    expect(bits(kernel)).toEqual(expected[file]['dense/kernel']);
    expect(bits(bias)).toEqual(expected[file]['dense/bias']);
  });

  it('an integer tensor is refused, naming it and the dtypes that load', () => {
    expect(() => decodeSafetensors(new Uint8Array(readFileSync(`${DIR}tiny-I32.safetensors`)), 'tiny-I32.safetensors')).toThrow(
      'tiny-I32.safetensors: tensor steps has dtype I32; only float tensors (F32, F16, BF16, F64) can be loaded',
    );
  });
});
