import { describe, expect, it } from 'vitest';
import {
  affineRows,
  batchNormBackward,
  batchNormFrozenBackward,
  batchNormInferForward,
  batchNormTrainForward,
  type BatchNormOptions,
} from '../../src/kernels/batchnorm.js';
import { batchNormBackwardRef, batchNormFrozenBackwardRef, batchNormInferRef, batchNormTrainRef } from '../../src/reference/batchnorm.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

/** x: (rows, channels) with a different offset and spread per channel, as f32. */
function makeInput(rows: number, channels: number, seed: number): Float32Array {
  const u = randomFloats(rows * channels, seed, -1, 1);
  return u.map((v, i) => {
    const c = i % channels;
    const offset = (c % 4) * 2.5 - 2;
    const spread = 0.5 + (c % 3) * 0.75;
    return offset + spread * v;
  });
}

/** gammaBeta: (2, channels): gamma in [0.5, 1.5], beta in [-1, 1]. */
function makeGammaBeta(channels: number, seed: number): Float32Array {
  const gammaBeta = new Float32Array(2 * channels);
  gammaBeta.set(randomFloats(channels, seed, 0.5, 1.5), 0);
  gammaBeta.set(randomFloats(channels, seed + 1, -1, 1), channels);
  return gammaBeta;
}

/**
 * The kernels' gammaBeta layout, (affineRows, channels): only the rows present, gamma then beta,
 * from the reference's (2, channels) with every row. With neither present, one float the kernel
 * must neither read nor write.
 */
function present(gammaBeta: ArrayLike<number>, channels: number, options: BatchNormOptions): Float32Array {
  const rows = [options.scale ?? true, options.center ?? true].flatMap((on, row) => (on ? [Array.from(gammaBeta).slice(row * channels, (row + 1) * channels)] : []));
  return rows.length === 0 ? Float32Array.of(9) : Float32Array.from(rows.flat());
}

/** moving: (2, channels): mean in [-1, 1], variance in [0.5, 2]. */
function makeMoving(channels: number, seed: number): Float32Array {
  const moving = new Float32Array(2 * channels);
  moving.set(randomFloats(channels, seed, -1, 1), 0);
  moving.set(randomFloats(channels, seed + 1, 0.5, 2), channels);
  return moving;
}

// Error budget, f32 (unit roundoff u = 6e-8). A channel sum adds ≤ 128 values per chunk and
// then ≤ 49 chunk sums: k ≤ 177 roundings for the shapes below (≤ 6272 rows). y and dX: values
// ≤ 8 (x − mean) scaled by gamma·invStd ≤ 3 carry ≤ k·u·8·3 ≈ 2.5e-4 in the worst case; rounding
// errors mostly cancel, and the observed worst is below 1e-6 (as with the earlier per-channel
// tree, whose k was 33).
const VALUE_TOLERANCE = { atol: 1e-5, rtol: 1e-5 };
// Batch mean within k·u of |x| ≤ 8; invStd and the moving statistics within k·u relative.
const SAVED_TOLERANCE = { atol: 1e-5, rtol: 1e-5 };
// dGamma, dBeta: sums of ROWS terms of magnitude ≤ 2.5, so the worst case k·u·Σ|term| grows
// like 2e-6·ROWS; observed ≤ 2.5e-8·ROWS. A lost or doubled row costs ~0.5.
const sumTolerance = (rows: number) => ({ atol: 2e-7 * rows, rtol: 1e-5 });

interface Case {
  n: number;
  h: number;
  w: number;
  c: number;
  options: BatchNormOptions;
}

const cases: Case[] = [
  { n: 3, h: 5, w: 7, c: 5, options: {} },
  { n: 13, h: 1, w: 1, c: 1, options: {} },
  { n: 2, h: 4, w: 4, c: 16, options: {} },
  { n: 1, h: 1, w: 1, c: 4, options: {} },
  { n: 8, h: 28, w: 28, c: 4, options: {} },
  { n: 3, h: 5, w: 7, c: 5, options: { center: false } },
  { n: 3, h: 5, w: 7, c: 5, options: { scale: false, momentum: 0.9, epsilon: 1e-5 } },
  { n: 7, h: 3, w: 1, c: 13, options: { center: false, scale: false } },
];

describe('batch normalization kernels vs float64 reference', () => {
  for (const { n, h, w, c: channels, options } of cases) {
    const rows = n * h * w;
    it(`train forward, backward, inference, frozen backward: ${n}×${h}×${w}×${channels} ${JSON.stringify(options)}`, async () => {
      const device = await testDevice();
      const seed = rows * 7 + channels;
      const x = makeInput(rows, channels, seed);
      const dY = randomFloats(rows * channels, seed + 1);
      const gammaBeta = makeGammaBeta(channels, seed + 2);
      const moving = makeMoving(channels, seed + 4);
      const shape = { rows, channels };

      const xBuf = device.upload('x', x);
      const dYBuf = device.upload('dY', dY);
      const gammaBetaBuf = device.upload('gammaBeta', present(gammaBeta, channels, options)); // (affineRows, channels)
      const movingBuf = device.upload('moving', moving);
      const yBuf = device.createBuffer('y', x.byteLength);
      const savedBuf = device.createBuffer('saved', 2 * channels * 4);
      const dXBuf = device.createBuffer('dX', x.byteLength);
      // Filled with 9: with neither parameter present, the one float must stay 9.
      const dGammaBetaBuf = device.upload('dGammaBeta', new Float32Array(Math.max(1, affineRows(options) * channels)).fill(9));
      const inferredBuf = device.createBuffer('inferred', x.byteLength);
      const frozenDXBuf = device.createBuffer('frozen dX', x.byteLength);
      const owner = new ScratchOwner(device);

      await runDispatches(device, [
        ...(await batchNormTrainForward(device, shape, options, { x: xBuf, gammaBeta: gammaBetaBuf, y: yBuf, moving: movingBuf, saved: savedBuf }, owner.scratch)),
        ...(await batchNormBackward(device, shape, options, { x: xBuf, gammaBeta: gammaBetaBuf, saved: savedBuf, dY: dYBuf, dX: dXBuf, dGammaBeta: dGammaBetaBuf }, owner.scratch)),
        await batchNormInferForward(device, shape, options, { x: xBuf, gammaBeta: gammaBetaBuf, moving: movingBuf, y: inferredBuf }),
        await batchNormFrozenBackward(device, shape, options, { gammaBeta: gammaBetaBuf, moving: movingBuf, dY: dYBuf, dX: frozenDXBuf }),
      ]);

      const ref = batchNormTrainRef(x, rows, channels, gammaBeta, moving, options);
      expectClose(await device.readFloats(yBuf, 0, x.length), ref.y, VALUE_TOLERANCE, 'y');
      expectClose(await device.readFloats(savedBuf, 0, 2 * channels), ref.saved, SAVED_TOLERANCE, 'saved mean, invStd');
      const movingAfter = await device.readFloats(movingBuf, 0, 2 * channels);
      expectClose(movingAfter, ref.moving, SAVED_TOLERANCE, 'moving mean, variance');

      const backRef = batchNormBackwardRef(x, dY, rows, channels, gammaBeta, ref.saved, options);
      expectClose(await device.readFloats(dXBuf, 0, x.length), backRef.dX, VALUE_TOLERANCE, 'dX');
      const dGammaBeta = await device.readFloats(dGammaBetaBuf, 0, Math.max(1, affineRows(options) * channels));
      expectClose(dGammaBeta, present(backRef.dGammaBeta, channels, options), sumTolerance(rows), 'dGamma, dBeta (those present)');

      // Inference reads the moving statistics the training step left behind.
      const inferredRef = batchNormInferRef(x, rows, channels, gammaBeta, movingAfter, options);
      expectClose(await device.readFloats(inferredBuf, 0, x.length), inferredRef, VALUE_TOLERANCE, 'inference y');
      const frozenRef = batchNormFrozenBackwardRef(dY, rows, channels, gammaBeta, movingAfter, options);
      expectClose(await device.readFloats(frozenDXBuf, 0, x.length), frozenRef, VALUE_TOLERANCE, 'frozen dX');

      for (const b of [xBuf, dYBuf, gammaBetaBuf, movingBuf, yBuf, savedBuf, dXBuf, dGammaBetaBuf, inferredBuf, frozenDXBuf]) b.destroy();
      owner.destroy();
    });
  }

  it('keeps its accuracy on data with a large common offset', async () => {
    // E[x²] − E[x]² would cancel ~250,000 against ~250,000 to find a variance near 1: each
    // rounding of that size costs u·250,000 ≈ 0.015, a few percent of the variance.
    const device = await testDevice();
    const rows = 2000;
    const channels = 3;
    const x = makeInput(rows, channels, 5).map((v) => 500 + v);
    const gammaBeta = makeGammaBeta(channels, 6);
    const moving = makeMoving(channels, 7);
    const xBuf = device.upload('x', x);
    const gammaBetaBuf = device.upload('gammaBeta', gammaBeta);
    const movingBuf = device.upload('moving', moving);
    const yBuf = device.createBuffer('y', x.byteLength);
    const savedBuf = device.createBuffer('saved', 2 * channels * 4);
    const owner = new ScratchOwner(device);
    await runDispatches(device, await batchNormTrainForward(device, { rows, channels }, {}, { x: xBuf, gammaBeta: gammaBetaBuf, y: yBuf, moving: movingBuf, saved: savedBuf }, owner.scratch));
    const ref = batchNormTrainRef(x, rows, channels, gammaBeta, moving);
    // An f32 mean near 500 is off by up to half an ULP, 1.5e-5 (x − mean is then exact), which
    // gamma·invStd ≤ 3 turns into 4.6e-5; observed 7e-6.
    expectClose(await device.readFloats(yBuf, 0, x.length), ref.y, { atol: 6e-5, rtol: 1e-5 }, 'y');
    expectClose(await device.readFloats(savedBuf, channels, channels), ref.saved.subarray(channels), { atol: 0, rtol: 1e-4 }, 'invStd');
    for (const b of [xBuf, gammaBetaBuf, movingBuf, yBuf, savedBuf]) b.destroy();
    owner.destroy();
  });

  it('reference forward normalizes each channel to mean beta and variance gamma²·var/(var + eps)', () => {
    const rows = 40;
    const channels = 3;
    const x = makeInput(rows, channels, 21);
    const gammaBeta = makeGammaBeta(channels, 22);
    const { y, saved } = batchNormTrainRef(x, rows, channels, gammaBeta, makeMoving(channels, 23));
    for (let c = 0; c < channels; c++) {
      const column = Array.from({ length: rows }, (_, r) => y[r * channels + c]);
      const mean = column.reduce((s, v) => s + v, 0) / rows;
      const variance = column.reduce((s, v) => s + (v - mean) ** 2, 0) / rows;
      const batchVariance = 1 / saved[channels + c] ** 2 - 1e-3;
      expect(mean).toBeCloseTo(gammaBeta[channels + c], 12);
      expect(variance).toBeCloseTo((gammaBeta[c] ** 2 * batchVariance) / (batchVariance + 1e-3), 12);
    }
  });

  for (const options of [{}, { center: false, scale: false }] as BatchNormOptions[]) {
    it(`reference backward matches finite differences of the training forward ${JSON.stringify(options)}`, () => {
      const rows = 6;
      const channels = 3;
      const x = Float64Array.from(makeInput(rows, channels, 31));
      const gammaBeta = Float64Array.from(makeGammaBeta(channels, 32));
      const moving = makeMoving(channels, 33);
      const weights = randomFloats(rows * channels, 34);
      const loss = (xs: Float64Array, gb: Float64Array) => dot(weights, batchNormTrainRef(xs, rows, channels, gb, moving, options).y);

      const { saved } = batchNormTrainRef(x, rows, channels, gammaBeta, moving, options);
      const { dX, dGammaBeta } = batchNormBackwardRef(x, weights, rows, channels, gammaBeta, saved, options);
      const tolerance = { atol: 1e-7, rtol: 1e-6 };
      expectClose(dX, numericGradient((xs) => loss(xs, gammaBeta), x), tolerance, 'dX');
      // With center/scale off the parameters do not act, and their gradients are 0.
      expectClose(dGammaBeta, numericGradient((gb) => loss(x, gb), gammaBeta), tolerance, 'dGamma, dBeta');
    });
  }

  for (const options of [{}, { scale: false, epsilon: 0.1 }] as BatchNormOptions[]) {
    it(`reference frozen backward matches finite differences of the inference forward ${JSON.stringify(options)}`, () => {
      const rows = 5;
      const channels = 3;
      const x = Float64Array.from(makeInput(rows, channels, 41));
      const gammaBeta = Float64Array.from(makeGammaBeta(channels, 42));
      const moving = makeMoving(channels, 43);
      const weights = randomFloats(rows * channels, 44);
      const loss = (xs: Float64Array) => dot(weights, batchNormInferRef(xs, rows, channels, gammaBeta, moving, options));
      const dX = batchNormFrozenBackwardRef(weights, rows, channels, gammaBeta, moving, options);
      expectClose(dX, numericGradient(loss, x), { atol: 1e-7, rtol: 1e-6 }, 'frozen dX');
    });
  }
});
