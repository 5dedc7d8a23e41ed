import { describe, expect, it } from 'vitest';
import { columnSum } from '../../src/kernels/column-sum.js';
import { createDevice } from '../../src/device/device.js';
import { chooseKernel, chooseSplitK, kernelProblem, matmul, MATMUL_KERNELS, matmulCandidates, type MatmulParams } from '../../src/kernels/matmul.js';
import { columnSumRef, matmulRef } from '../../src/reference/matmul.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

// Odd sizes (K of 1, 2 and 3 past a multiple of 4 for the quad kernel's remainder steps),
// multiples of the block shapes, a long K (split along K automatically), and shapes the vec4
// kernel takes (M, N, K multiples of 4) with partial 16 × 8 blocks and 32 × 32 tiles.
// Every candidate runs every variant on each: each shape costs ~40 pipelines, so few shapes.
const shapes: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [9, 21, 6],
  [33, 17, 67],
  [64, 32, 48],
  [6, 10, 3000],
  [20, 12, 68],
  [8, 12, 3000],
];

/** f32 sums of K products of values in [-1, 1]: the error grows like sqrt(K) ulps. */
const tolerance = (k: number) => ({ atol: 2e-6 * Math.sqrt(k) * 4, rtol: 1e-5 });

async function gpuMatmul(params: MatmulParams, a: Float32Array, b: Float32Array, bias?: Float32Array): Promise<Float32Array> {
  const device = await testDevice();
  const { m, n, batch = 1 } = params;
  const io = {
    a: device.upload('a', a),
    b: device.upload('b', b),
    c: device.createBuffer('c', batch * m * n * 4),
    bias: bias && device.upload('bias', bias),
  };
  const owner = new ScratchOwner(device);
  await runDispatches(device, await matmul(device, params, io, owner.scratch));
  const c = await device.readFloats(io.c, 0, batch * m * n);
  for (const buffer of [io.a, io.b, io.c, io.bias]) buffer?.destroy();
  owner.destroy();
  return c;
}

const kernels = MATMUL_KERNELS;

for (const kernel of kernels) {
  describe(`matmul (${kernel} kernel) vs float64 reference`, () => {
    const variants: [string, Partial<MatmulParams>][] = [
      ['plain', {}],
      ['transA', { transA: true }],
      ['transB', { transB: true }],
      ['transA and transB', { transA: true, transB: true }],
      ['bias', { bias: true }],
      ['bias + relu', { bias: true, activation: 'relu' }],
      ['split-K forced, bias + relu', { bias: true, activation: 'relu', splitK: 3 }],
      ['split-K forced, transA', { transA: true, splitK: 4 }],
    ];
    for (const [name, variant] of variants) {
      it(name, async () => {
        const device = await testDevice();
        let tested = 0;
        for (const [m, n, k] of shapes) {
          const params: MatmulParams = { m, n, k, kernel, ...variant };
          // The vec4 kernel takes only shapes whose stored rows start on a vec4 (kernelProblem).
          if (kernelProblem(device, params, kernel)) continue;
          tested++;
          const a = randomFloats(m * k, m * 7 + k);
          const b = randomFloats(k * n, n * 11 + k);
          const bias = variant.bias ? randomFloats(n, n) : undefined;
          const c = await gpuMatmul(params, a, b, bias);
          expectClose(c, matmulRef(params, a, b, bias), tolerance(k), `${name} ${m}×${n}×${k}`);
        }
        expect(tested, 'shapes this kernel was tested on').toBeGreaterThanOrEqual(kernel === 'vec4' ? 3 : shapes.length);
      });
    }
  });
}

describe('batched matmul: every entry its own product, in one dispatch', () => {
  // Three entries; each checked against the float64 reference on its own slices of A, B and C.
  const batch = 3;
  const batchedShapes: [number, number, number][] = [
    [7, 13, 5],
    [20, 12, 68],
    [33, 16, 36],
  ];
  const variants: [string, Partial<MatmulParams>][] = [
    ['plain', {}],
    ['transA', { transA: true }],
    ['transB, bias + relu', { transB: true, bias: true, activation: 'relu' }],
  ];
  for (const kernel of kernels) {
    it(`${kernel} kernel`, async () => {
      const device = await testDevice();
      let tested = 0;
      for (const [m, n, k] of batchedShapes) {
        for (const [name, variant] of variants) {
          const params: MatmulParams = { m, n, k, kernel, batch, ...variant };
          if (kernelProblem(device, params, kernel)) continue;
          tested++;
          const a = randomFloats(batch * m * k, m + k);
          const b = randomFloats(batch * k * n, n + k);
          const bias = variant.bias ? randomFloats(n, n) : undefined;
          const c = await gpuMatmul(params, a, b, bias);
          for (let e = 0; e < batch; e++) {
            const entry = matmulRef(params, a.subarray(e * m * k, (e + 1) * m * k), b.subarray(e * k * n, (e + 1) * k * n), bias);
            expectClose(c.subarray(e * m * n, (e + 1) * m * n), entry, tolerance(k), `${name} ${m}×${n}×${k} entry ${e}`);
          }
        }
      }
      expect(tested, 'cases this kernel was tested on').toBeGreaterThanOrEqual(kernel === 'vec4' ? 4 : 9);
    });
  }

  it('refuses a batched matmul split along K, and a batch that is not a positive integer', async () => {
    const device = await testDevice();
    const buffer = device.createBuffer('x', 64);
    const scratch = new ScratchOwner(device).scratch;
    await expect(matmul(device, { m: 2, n: 2, k: 2, batch: 2, splitK: 2 }, { a: buffer, b: buffer, c: buffer }, scratch)).rejects.toThrow(/not split along K \(batch 2, splitK 2\)/);
    await expect(matmul(device, { m: 2, n: 2, k: 2, batch: 0 }, { a: buffer, b: buffer, c: buffer }, scratch)).rejects.toThrow(/batch must be an integer ≥ 1 \(got 0\)/);
    buffer.destroy();
  });
});

describe('matmul kernel choice', () => {
  it('the vec4 kernel is a candidate only where the stored rows start on a vec4, and says why not', async () => {
    const device = await testDevice();
    expect(matmulCandidates(device, { m: 64, n: 32, k: 48 })).toContain('vec4');
    expect(matmulCandidates(device, { m: 64, n: 10, k: 48 })).not.toContain('vec4');
    expect(matmulCandidates(device, { m: 64, n: 10, k: 48, transB: true })).toContain('vec4');
    expect(matmulCandidates(device, { m: 9, n: 16, k: 48, transA: true })).not.toContain('vec4');
    expect(matmulCandidates(device, { m: 9, n: 16, k: 6 })).toEqual(MATMUL_KERNELS.filter((k) => k !== 'vec4' && (device.quads || k !== 'quads')));
    const buffer = device.createBuffer('x', 64);
    await expect(matmul(device, { m: 4, n: 4, k: 6, kernel: 'vec4' }, { a: buffer, b: buffer, c: buffer }, new ScratchOwner(device).scratch)).rejects.toThrow(/vec4 kernel needs K % 4 == 0 \(K = 6\)/);
    buffer.destroy();
  });

  it('SwiftShader has quads, and the quad kernel is the default for M ≥ 5 and K ≥ 16', async () => {
    const device = await testDevice();
    if (device.adapter.software) expect(device.quads).toBe(true);
    expect(chooseKernel(device, 64, 288)).toBe(device.quads ? 'quads' : 'rows8');
    expect(chooseKernel(device, 64, 4)).toBe('rows8');
    expect(chooseKernel(device, 4, 78_400)).toBe('rows4');
  });

  it('a device created without subgroups uses the other kernels and refuses the quad one clearly', async () => {
    const device = await createDevice({ subgroups: false });
    expect(device.quads).toBe(false);
    expect(chooseKernel(device, 64, 288)).toBe('rows8');
    const buffer = device.createBuffer('x', 64);
    await expect(matmul(device, { m: 2, n: 2, k: 2, kernel: 'quads' }, { a: buffer, b: buffer, c: buffer }, new ScratchOwner(device).scratch)).rejects.toThrow(/quads kernel needs a device with quads/);
    device.destroy();
  });
});

describe('matmul gradients and splitting', () => {
  it('splits a long K automatically, and not a short one', () => {
    expect(chooseSplitK(4, 16, 25_088)).toBeGreaterThan(1);
    expect(chooseSplitK(64, 32, 48)).toBe(1);
    expect(chooseSplitK(512, 512, 512)).toBe(1);
  });

  for (const kernel of kernels) {
    it(`the gradients from the transposed variants (${kernel} kernel) match finite differences`, async () => {
      // loss = Σ w ⊙ (A·B): dA = W·Bᵀ, dB = Aᵀ·W, computed on the GPU with transB and transA.
      // Multiples of 4 so that the vec4 kernel takes them too.
      const [m, n, k] = kernel === 'vec4' ? [8, 12, 20] : [5, 7, 9];
      const a = randomFloats(m * k, 1);
      const b = randomFloats(k * n, 2);
      const w = randomFloats(m * n, 3);
      const dA = await gpuMatmul({ m, n: k, k: n, transB: true, kernel }, w, b);
      const dB = await gpuMatmul({ m: k, n, k: m, transA: true, kernel }, a, w);
      const numericA = numericGradient((x) => dot(w, matmulRef({ m, n, k }, x, b)), Float64Array.from(a));
      const numericB = numericGradient((x) => dot(w, matmulRef({ m, n, k }, a, x)), Float64Array.from(b));
      expectClose(dA, numericA, { atol: 1e-5, rtol: 1e-5 }, 'dA');
      expectClose(dB, numericB, { atol: 1e-5, rtol: 1e-5 }, 'dB');
    });
  }
});

describe('columnSum vs float64 reference', () => {
  it('sums columns over several shapes', async () => {
    const device = await testDevice();
    // Scalar columns (1, 13, 5) and vec4 ones (16, 12, 4, each also summed one column per
    // invocation), with a partial last chunk of 128 rows.
    for (const [rows, cols] of [[1, 1], [7, 13], [300, 5], [25_088, 16], [301, 12], [129, 4]]) {
      const x = randomFloats(rows * cols, rows + cols);
      const xBuf = device.upload('x', x);
      for (const chunk of cols % 4 === 0 ? ([4, 1] as const) : ([1] as const)) {
        const out = device.upload('out', new Float32Array(cols).fill(Number.NaN));
        const owner = new ScratchOwner(device);
        await runDispatches(device, await columnSum(device, { rows, cols }, { x: xBuf, out }, owner.scratch, chunk));
        // Sums of `rows` values in [-1, 1]: error grows like sqrt(rows) ulps of the magnitude.
        expectClose(await device.readFloats(out, 0, cols), columnSumRef(rows, cols, x), { atol: 1e-6 * Math.sqrt(rows) * 4, rtol: 1e-6 }, `${rows}×${cols} by ${chunk}`);
        owner.destroy();
        out.destroy();
      }
      xBuf.destroy();
    }
    // Forcing four columns where 4 does not divide them fails before any buffer is made.
    const unused = device.createBuffer('unused', 64);
    const noScratch = () => {
      throw new Error('no scratch expected');
    };
    await expect(columnSum(device, { rows: 8, cols: 6 }, { x: unused, out: unused }, noScratch, 4)).rejects.toThrow(/4 columns per invocation need cols % 4 == 0 \(cols = 6\)/);
    unused.destroy();
  });
});
