import { describe, expect, it } from 'vitest';
import {
  avgPoolBackward,
  avgPoolForward,
  maxPoolBackward,
  maxPoolBackwardCandidates,
  maxPoolForward,
  NO_INDEX,
  poolGeometry,
  type PoolParams,
  type PoolSpec,
} from '../../src/kernels/pool.js';
import { activationForwardRef } from '../../src/reference/activation.js';
import { avgPoolBackwardRef, avgPoolForwardRef, maxPoolBackwardRef, maxPoolForwardRef } from '../../src/reference/pool.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { dot, expectClose, numericGradient, randomFloats, rng, testDevice } from '../helpers/gpu.js';

const F32_EPS = 2 ** -24; // unit roundoff of float32

function params(spec: PoolSpec, batch: number, channels: number): PoolParams {
  return { ...poolGeometry(spec), batch, channels };
}

/** `n` distinct values spread over [-1, 1) in a seeded random order: max pooling has no ties. */
function distinctFloats(n: number, seed: number): Float32Array {
  const values = Float32Array.from({ length: n }, (_, i) => -1 + (2 * i) / n);
  const next = rng(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return values;
}

const inputCount = (p: PoolParams) => p.batch * p.height * p.width * p.channels;
const outputCount = (p: PoolParams) => p.batch * p.outH * p.outW * p.channels;
const describeCase = (p: PoolParams) =>
  `N${p.batch} ${p.height}×${p.width}×${p.channels} pool ${p.poolH}×${p.poolW} stride ${p.strideH}×${p.strideW} ${p.padding}`;

// Pool 2 on 7×7 (Keras' default 'valid' floors to 3×3), pool 3 stride 2 (overlapping windows),
// 'same' with an odd extra row/column, stride past the pool (pixels in no window), non-square;
// channels 1, 2, 3, 5 (one per invocation) and 4, 8, 32 (the vec4 form).
const cases: PoolParams[] = [
  params({ height: 7, width: 7, poolH: 2, poolW: 2 }, 1, 1),
  params({ height: 7, width: 7, poolH: 2, poolW: 2, padding: 'same' }, 3, 3),
  params({ height: 9, width: 8, poolH: 3, poolW: 3, strideH: 2, strideW: 2 }, 1, 5),
  params({ height: 8, width: 7, poolH: 3, poolW: 3, strideH: 2, strideW: 2, padding: 'same' }, 3, 3),
  params({ height: 6, width: 5, poolH: 3, poolW: 2, strideH: 1, strideW: 1, padding: 'same' }, 1, 2),
  params({ height: 8, width: 8, poolH: 2, poolW: 2, strideH: 3, strideW: 3 }, 3, 1),
  params({ height: 7, width: 7, poolH: 2, poolW: 2, padding: 'same' }, 3, 4), // four channels per invocation
  params({ height: 8, width: 7, poolH: 3, poolW: 3, strideH: 2, strideW: 2, padding: 'same' }, 1, 8),
  params({ height: 24, width: 24, poolH: 2, poolW: 2 }, 2, 32), // the Keras mnist_cnn's pooling
];

describe('poolGeometry follows Keras', () => {
  it('defaults strides to the pool size and padding to valid, which floors', () => {
    const g = poolGeometry({ height: 7, width: 7, poolH: 2, poolW: 2 });
    expect(g).toMatchObject({ strideH: 2, strideW: 2, padding: 'valid', outH: 3, outW: 3, padTop: 0, padBottom: 0 });
  });

  it("'same' gives ceil(size / stride) with the odd extra padding after", () => {
    // 7, pool 2, stride 2: 4 outputs, 1 row of padding, at the bottom.
    expect(poolGeometry({ height: 7, width: 8, poolH: 2, poolW: 2, padding: 'same' })).toMatchObject({
      outH: 4, outW: 4, padTop: 0, padBottom: 1, padLeft: 0, padRight: 0,
    });
    // 8, pool 3, stride 2: 4 outputs, padding (4-1)*2 + 3 - 8 = 1, at the bottom; 7 → pad 1 + 1.
    expect(poolGeometry({ height: 8, width: 7, poolH: 3, poolW: 3, strideH: 2, strideW: 2, padding: 'same' })).toMatchObject({
      outH: 4, outW: 4, padTop: 0, padBottom: 1, padLeft: 1, padRight: 1,
    });
  });

  it('rejects a pool larger than its input under valid padding', () => {
    expect(() => poolGeometry({ height: 2, width: 7, poolH: 3, poolW: 3 })).toThrow(/pooling height: a window of 3 does not fit an input of 2/);
  });
});

describe('pooling references (float64)', () => {
  it('hand-worked examples: max pool 2 on 7×7, average pool 2 same on 3×3', () => {
    // x[h, w] = 7h + w increases along rows and columns: each window's max is its bottom-right.
    const x = Float64Array.from({ length: 49 }, (_, i) => i);
    const { y, argmax } = maxPoolForwardRef(x, params({ height: 7, width: 7, poolH: 2, poolW: 2 }, 1, 1));
    const bottomRight = [8, 10, 12, 22, 24, 26, 36, 38, 40];
    expect(Array.from(argmax)).toEqual(bottomRight);
    expect(Array.from(y)).toEqual(bottomRight);
    // 1..9 on 3×3, pool 2 'same': windows {1,2,4,5}, {3,6}, {7,8}, {9}, averaged over their
    // input cells only.
    const avg = avgPoolForwardRef([1, 2, 3, 4, 5, 6, 7, 8, 9], params({ height: 3, width: 3, poolH: 2, poolW: 2, padding: 'same' }, 1, 1));
    expect(Array.from(avg)).toEqual([3, 4.5, 7.5, 9]);
  });

  for (const [index, p] of cases.slice(0, -1).entries()) {
    it(`backward matches finite differences (${describeCase(p)})`, () => {
      const x = Float64Array.from(distinctFloats(inputCount(p), index));
      const r = randomFloats(outputCount(p), 50 + index);
      // Inputs are ≥ 2/count apart, far more than the 1e-6 step: no max changes under it.
      const maxNumeric = numericGradient((v) => dot(r, maxPoolForwardRef(v, p).y), x);
      const maxAnalytic = maxPoolBackwardRef(r, maxPoolForwardRef(x, p).argmax, p);
      expectClose(maxAnalytic, maxNumeric, { atol: 1e-8 }, 'max pool dX');
      const avgNumeric = numericGradient((v) => dot(r, avgPoolForwardRef(v, p)), x);
      expectClose(avgPoolBackwardRef(r, p), avgNumeric, { atol: 1e-8 }, 'avg pool dX');
    });
  }
});

describe('max pooling with the ReLU backward fused (reluInput)', () => {
  for (const [index, p] of cases.slice(0, -1).entries()) {
    it(`the gradient of maxpool(relu(z)) matches finite differences (${describeCase(p)})`, () => {
      // Distinct values, none within 1e-6 of 0 (the kink), shifted so that four in five are negative.
      const z = Float64Array.from(distinctFloats(inputCount(p), 300 + index), (v) => v - 0.6 + 1 / (2 * inputCount(p)));
      const r = randomFloats(outputCount(p), 400 + index);
      const numeric = numericGradient((v) => dot(r, maxPoolForwardRef(activationForwardRef('relu', v), p).y), z);
      const { argmax } = maxPoolForwardRef(activationForwardRef('relu', z), p, true);
      expect(argmax).toContain(NO_INDEX); // some window is all ≤ 0: the case under test happens
      expectClose(maxPoolBackwardRef(r, argmax, p), numeric, { atol: 1e-8 }, 'd relu input');
    });
  }
});

describe('pooling kernels vs float64 reference', () => {
  for (const [index, p] of cases.entries()) {
    it(describeCase(p), async () => {
      const device = await testDevice();
      const xCount = inputCount(p);
      const yCount = outputCount(p);
      const x = distinctFloats(xCount, 100 + index);
      const dY = randomFloats(yCount, 200 + index);
      const garbage = () => new Float32Array(xCount).fill(Number.NaN);
      const xBuf = device.upload('x', x); // (N, H, W, C)
      const dYBuf = device.upload('dY', dY); // (N, OH, OW, C)
      const maxYBuf = device.createBuffer('max y', yCount * 4); // (N, OH, OW, C)
      const argmaxBuf = device.createBuffer('argmax', yCount * 4); // (N, OH, OW, C) u32
      const avgYBuf = device.createBuffer('avg y', yCount * 4); // (N, OH, OW, C)
      // The dX buffers start as NaN, to show the backward passes write every element.
      const maxDXBuf = device.upload('max dX', garbage()); // (N, H, W, C)
      const avgDXBuf = device.upload('avg dX', garbage()); // (N, H, W, C)
      await runDispatches(device, [
        await maxPoolForward(device, p, { x: xBuf, y: maxYBuf, argmax: argmaxBuf }),
        await avgPoolForward(device, p, { x: xBuf, y: avgYBuf }),
        await avgPoolBackward(device, p, { dY: dYBuf, dX: avgDXBuf }),
      ]);

      // Max pooling selects: exact, and the same argmax as the reference (no ties in x).
      const maxRef = maxPoolForwardRef(x, p);
      expectClose(await device.readFloats(maxYBuf, 0, yCount), maxRef.y, { atol: 0 }, 'max y');
      const argmax = new Uint32Array(await device.read(argmaxBuf, 0, yCount * 4));
      expect(Array.from(argmax)).toEqual(Array.from(maxRef.argmax));
      // Each dX element sums at most n = ceil(PH/SH)·ceil(PW/SW) values of dY in [-1, 1]: each
      // addition rounds by at most 2⁻²⁴ times a partial sum bounded by n.
      const overlap = Math.ceil(p.poolH / p.strideH) * Math.ceil(p.poolW / p.strideW);
      for (const kernel of maxPoolBackwardCandidates(p)) {
        device.gpu.queue.writeBuffer(maxDXBuf, 0, garbage());
        await runDispatches(device, [await maxPoolBackward(device, p, { dY: dYBuf, argmax: argmaxBuf, dX: maxDXBuf }, kernel)]);
        const maxDX = await device.readFloats(maxDXBuf, 0, xCount);
        expectClose(maxDX, maxPoolBackwardRef(dY, maxRef.argmax, p), { atol: overlap * overlap * F32_EPS }, `max dX (${kernel})`);
      }

      // Average: a float32 sum of at most PH·PW values in [-1, 1], then one division (the mean
      // is within [-1, 1], so that rounds by at most 2⁻²⁴); the backward sums `overlap` quotients
      // each in [-1, 1] and each rounded once.
      const window = p.poolH * p.poolW;
      const avgY = await device.readFloats(avgYBuf, 0, yCount);
      expectClose(avgY, avgPoolForwardRef(x, p), { atol: (window * window + 1) * F32_EPS }, 'avg y');
      const avgDX = await device.readFloats(avgDXBuf, 0, xCount);
      expectClose(avgDX, avgPoolBackwardRef(dY, p), { atol: (overlap * overlap + overlap) * F32_EPS }, 'avg dX');
      for (const b of [xBuf, dYBuf, maxYBuf, argmaxBuf, avgYBuf, maxDXBuf, avgDXBuf]) b.destroy();
    });
  }

  for (const [index, p] of cases.entries()) {
    it(`reluInput: argmax NO_INDEX where the maximum is ≤ 0, and every backward candidate (${describeCase(p)})`, async () => {
      const device = await testDevice();
      const xCount = inputCount(p);
      const yCount = outputCount(p);
      // A ReLU's output: four in five values 0 (ties, which must all give NO_INDEX), the rest distinct.
      const x = Float32Array.from(distinctFloats(xCount, 500 + index), (v) => Math.max(v - 0.6, 0));
      const dY = randomFloats(yCount, 600 + index);
      const xBuf = device.upload('x', x); // (N, H, W, C)
      const dYBuf = device.upload('dY', dY); // (N, OH, OW, C)
      const yBuf = device.createBuffer('y', yCount * 4); // (N, OH, OW, C)
      const argmaxBuf = device.createBuffer('argmax', yCount * 4); // (N, OH, OW, C) u32
      const dXBuf = device.createBuffer('dX', xCount * 4); // (N, H, W, C)
      await runDispatches(device, [await maxPoolForward(device, p, { x: xBuf, y: yBuf, argmax: argmaxBuf }, true)]);
      const ref = maxPoolForwardRef(x, p, true);
      expectClose(await device.readFloats(yBuf, 0, yCount), ref.y, { atol: 0 }, 'y');
      const argmax = new Uint32Array(await device.read(argmaxBuf, 0, yCount * 4));
      expect(Array.from(argmax)).toEqual(Array.from(ref.argmax));
      expect(argmax).toContain(NO_INDEX);
      const overlap = Math.ceil(p.poolH / p.strideH) * Math.ceil(p.poolW / p.strideW);
      for (const kernel of maxPoolBackwardCandidates(p)) {
        device.gpu.queue.writeBuffer(dXBuf, 0, new Float32Array(xCount).fill(Number.NaN));
        await runDispatches(device, [await maxPoolBackward(device, p, { dY: dYBuf, argmax: argmaxBuf, dX: dXBuf }, kernel)]);
        const dX = await device.readFloats(dXBuf, 0, xCount);
        expectClose(dX, maxPoolBackwardRef(dY, ref.argmax, p), { atol: overlap * overlap * F32_EPS }, `dX (${kernel})`);
      }
      for (const b of [xBuf, dYBuf, yBuf, argmaxBuf, dXBuf]) b.destroy();
    });
  }

  it('the scatter backward is offered only where windows do not overlap', () => {
    expect(maxPoolBackwardCandidates(params({ height: 7, width: 7, poolH: 2, poolW: 2 }, 1, 1))).toEqual(['gather', 'scatter']);
    expect(maxPoolBackwardCandidates(params({ height: 8, width: 8, poolH: 2, poolW: 2, strideH: 3, strideW: 3 }, 1, 1))).toEqual(['gather', 'scatter']);
    expect(maxPoolBackwardCandidates(params({ height: 9, width: 8, poolH: 3, poolW: 3, strideH: 2, strideW: 2 }, 1, 1))).toEqual(['gather']);
  });

  it('max pooling breaks ties as the reference does: the first maximum in (h, w) order', async () => {
    const device = await testDevice();
    for (const channels of [3, 4]) {
      const p = params({ height: 8, width: 7, poolH: 3, poolW: 3, strideH: 2, strideW: 2, padding: 'same' }, 2, channels);
      // Values in {-1, 0, 1}: most windows hold their maximum more than once.
      const x = randomFloats(inputCount(p), 7).map(Math.round);
      const xBuf = device.upload('x', x); // (N, H, W, C)
      const yBuf = device.createBuffer('y', outputCount(p) * 4); // (N, OH, OW, C)
      const argmaxBuf = device.createBuffer('argmax', outputCount(p) * 4); // (N, OH, OW, C) u32
      await runDispatches(device, [await maxPoolForward(device, p, { x: xBuf, y: yBuf, argmax: argmaxBuf })]);
      const argmax = new Uint32Array(await device.read(argmaxBuf, 0, outputCount(p) * 4));
      expect(Array.from(argmax)).toEqual(Array.from(maxPoolForwardRef(x, p).argmax));
      for (const b of [xBuf, yBuf, argmaxBuf]) b.destroy();
    }
  });
});
