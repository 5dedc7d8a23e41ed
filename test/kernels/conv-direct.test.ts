import { describe, expect, it } from 'vitest';
import { memoryChoiceStore } from '../../src/device/kernel-choices.js';
import { createDevice } from '../../src/device/device.js';
import { chooseConvPath, convPathKey, directConvForward, directConvProblem, directConvWeightGradient, type DirectConvParams } from '../../src/kernels/conv-direct.js';
import { convGeometry, type ConvSpec } from '../../src/kernels/window.js';
import { activationForwardRef } from '../../src/reference/activation.js';
import { colWidth, conv2dBackwardRef, conv2dRef } from '../../src/reference/conv.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

const F32_EPS = 2 ** -24; // unit roundoff of float32

function params(spec: Omit<ConvSpec, 'strideH' | 'strideW'> & { stride?: number }, batch: number, channels: number, filters: number, extra: Partial<DirectConvParams> = {}): DirectConvParams {
  const { stride = 1, ...rest } = spec;
  return { ...convGeometry({ ...rest, strideH: stride, strideW: stride }), batch, channels, filters, bias: true, relu: false, ...extra };
}

// 1 to 16 taps; 'same' with the odd extra row/column after, and 'valid'; strides 1, 2 and 3
// (some pixels in no window); odd sizes and batches, so that the last block of 4 pixels and the
// last chunk of 128 rows are partial; 4 to 20 filters; with and without bias and ReLU; and the
// first conv of mnist-conv3 at a small batch.
const cases: DirectConvParams[] = [
  params({ height: 5, width: 7, kernelH: 2, kernelW: 2, padding: 'same' }, 3, 1, 4),
  params({ height: 7, width: 6, kernelH: 3, kernelW: 3, padding: 'same' }, 1, 1, 8, { relu: true }),
  params({ height: 9, width: 8, kernelH: 2, kernelW: 3, padding: 'valid', stride: 2 }, 5, 2, 12, { bias: false }),
  params({ height: 6, width: 7, kernelH: 1, kernelW: 1, padding: 'valid', stride: 3 }, 2, 3, 4, { relu: true, bias: false }),
  params({ height: 11, width: 13, kernelH: 2, kernelW: 2, padding: 'same' }, 3, 4, 20, { relu: true }),
  params({ height: 28, width: 28, kernelH: 2, kernelW: 2, padding: 'same' }, 3, 1, 16, { relu: true }),
];

const describeCase = (p: DirectConvParams) =>
  `N${p.batch} ${p.height}×${p.width}×${p.channels} k${p.kernelH}×${p.kernelW} s${p.strideH} ${p.padding} → ${p.filters}${p.bias ? ' +bias' : ''}${p.relu ? ' +relu' : ''}`;

describe('direct conv kernels vs float64 reference', () => {
  for (const [index, p] of cases.entries()) {
    it(describeCase(p), async () => {
      const device = await testDevice();
      const owner = new ScratchOwner(device);
      const taps = colWidth(p);
      const rows = p.batch * p.outH * p.outW;
      const x = randomFloats(p.batch * p.height * p.width * p.channels, 10 + index);
      const w = randomFloats(taps * p.filters, 20 + index);
      const bias = randomFloats(p.filters, 30 + index);
      const dZ = randomFloats(rows * p.filters, 40 + index);
      const buffers = {
        x: device.upload('x', x), // (N, H, W, C)
        w: device.upload('w', w), // (TAPS, F)
        bias: p.bias ? device.upload('bias', bias) : undefined, // (F)
        // The outputs start as NaN, to show every element is written.
        y: device.upload('y', new Float32Array(rows * p.filters).fill(Number.NaN)), // (N·OH·OW, F)
        dZ: device.upload('dZ', dZ), // (N·OH·OW, F)
        dW: device.upload('dW', new Float32Array(taps * p.filters).fill(Number.NaN)), // (TAPS, F)
        db: p.bias ? device.upload('db', new Float32Array(p.filters).fill(Number.NaN)) : undefined, // (F)
      };
      await runDispatches(device, [
        ...(await directConvForward(device, p, buffers, owner.scratch)),
        ...(await directConvWeightGradient(device, p, { x: buffers.x, dZ: buffers.dZ, dW: buffers.dW, db: buffers.db }, owner.scratch)),
      ]);

      // Forward: sums of TAPS + 1 products of float32 values in [-1, 1]; each float32 rounding
      // is at most 2⁻²⁴ of a partial sum bounded by TAPS + 1.
      let expected = conv2dRef(x, w, p.bias ? bias : null, p);
      if (p.relu) expected = Float64Array.from(activationForwardRef('relu', expected));
      expectClose(await device.readFloats(buffers.y, 0, rows * p.filters), expected, { atol: 2 * (taps + 1) ** 2 * F32_EPS }, 'y');

      // Gradients: sums over `rows` products of magnitude ≤ 1, in chunks of 128 rows and then
      // across the chunks: each term passes through at most 128 + chunks + 1 roundings, each at
      // most 2⁻²⁴ of a partial sum bounded by `rows`.
      const grads = conv2dBackwardRef(x, w, dZ, p);
      const chunks = Math.ceil(rows / 128);
      const tol = { atol: (128 + chunks + 1) * rows * F32_EPS };
      expectClose(await device.readFloats(buffers.dW, 0, taps * p.filters), grads.dW, tol, 'dW');
      if (buffers.db) expectClose(await device.readFloats(buffers.db, 0, p.filters), grads.dB, tol, 'db');
      owner.destroy();
      for (const b of Object.values(buffers)) b?.destroy();
    });
  }

  // The gradients the kernels compute are those of the forward they compute: the weight and bias
  // gradients of the loss <r, conv(x; w, b)> by finite differences of the float64 forward.
  it('dW and db match finite differences of the forward (N2 6×5×1 k2×2 same → 4)', async () => {
    const device = await testDevice();
    const owner = new ScratchOwner(device);
    const p = params({ height: 6, width: 5, kernelH: 2, kernelW: 2, padding: 'same' }, 2, 1, 4);
    const taps = colWidth(p);
    const rows = p.batch * p.outH * p.outW;
    const x = Float64Array.from(randomFloats(p.batch * p.height * p.width, 1));
    const w = Float64Array.from(randomFloats(taps * p.filters, 2));
    const bias = Float64Array.from(randomFloats(p.filters, 3));
    const r = randomFloats(rows * p.filters, 4);
    const dW = device.createBuffer('dW', taps * p.filters * 4); // (TAPS, F)
    const db = device.createBuffer('db', p.filters * 4); // (F)
    await runDispatches(device, await directConvWeightGradient(device, p, { x: device.upload('x', Float32Array.from(x)), dZ: device.upload('r', r), dW, db }, owner.scratch));
    const tol = { atol: 1e-5 };
    expectClose(await device.readFloats(dW, 0, taps * p.filters), numericGradient((v) => dot(r, conv2dRef(x, v, bias, p)), w), tol, 'dW');
    expectClose(await device.readFloats(db, 0, p.filters), numericGradient((v) => dot(r, conv2dRef(x, w, v, p)), bias), tol, 'db');
    owner.destroy();
  });

  it('refuses shapes it cannot run, naming the value', async () => {
    const device = await testDevice();
    const owner = new ScratchOwner(device);
    expect(directConvProblem({ kernelH: 3, kernelW: 3, channels: 2, filters: 8 })).toMatch(/KH·KW·C ≤ 16 \(got 18\)/);
    expect(directConvProblem({ kernelH: 2, kernelW: 2, channels: 1, filters: 6 })).toMatch(/filters % 4 == 0 \(got 6\)/);
    const p = params({ height: 5, width: 5, kernelH: 2, kernelW: 2, padding: 'same' }, 1, 1, 6);
    const b = device.createBuffer('b', 1024);
    await expect(directConvForward(device, p, { x: b, w: b, bias: b, y: b }, owner.scratch)).rejects.toThrow(/filters % 4 == 0 \(got 6\)/);
    owner.destroy();
    b.destroy();
  });
});

describe('chooseConvPath', () => {
  it('keeps im2col where the direct kernels cannot run, and times both paths once otherwise', async () => {
    const device = await createDevice({ tuning: 'measure', choiceStore: memoryChoiceStore() });
    try {
      const wide = params({ height: 8, width: 8, kernelH: 3, kernelW: 3, padding: 'same' }, 2, 4, 8);
      expect(await chooseConvPath(device, wide)).toBe('im2col');
      const p = params({ height: 8, width: 8, kernelH: 2, kernelW: 2, padding: 'same' }, 2, 1, 8, { relu: true });
      const path = await chooseConvPath(device, p);
      const stored = device.kernelChoices.get(convPathKey(p))!;
      expect(stored.kernel).toBe(path);
      expect(Object.keys(stored.ms).sort()).toEqual(['direct', 'im2col']);
      // A second call is served by the choice made.
      const hits = device.kernelChoices.cacheHits;
      expect(await chooseConvPath(device, p)).toBe(path);
      expect(device.kernelChoices.cacheHits).toBe(hits + 1);
    } finally {
      device.destroy();
    }
  });
});
