/**
 * Layer normalization's kernels against the float64 reference over odd shapes (a Dense output,
 * image positions, one value per row, gamma or beta left out), data with a large offset, and the
 * reference's backward against finite differences.
 */
import { describe, it } from 'vitest';
import { affineRows } from '../../src/kernels/batchnorm.js';
import { layerNormAffineGradient, layerNormForward, layerNormInputGradient, type LayerNormOptions } from '../../src/kernels/layernorm.js';
import { layerNormBackwardRef, layerNormRef } from '../../src/reference/layernorm.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

/** gammaBeta as the kernels take it: the rows present, gamma in [0.5, 1.5] then beta in [-1, 1]. */
function affine(cols: number, options: LayerNormOptions, seed: number): Float32Array {
  const rows = [options.scale ?? true ? randomFloats(cols, seed, 0.5, 1.5) : [], options.center ?? true ? randomFloats(cols, seed + 1, -1, 1) : []];
  const values = rows.flatMap((r) => Array.from(r));
  return values.length ? Float32Array.from(values) : Float32Array.of(9);
}

// f32 sums over a row of ≤ 64 values, ≤ 6e-8·64 relative each; y and dX scaled by
// gamma·invStd ≤ 1.5·(1/σ) with σ ≥ 0.3 here: observed ≤ 1e-6.
const TOLERANCE = { atol: 1e-5, rtol: 1e-5 };

describe('layer normalization kernels vs float64 reference', () => {
  // [rows, cols, options, offset]: a Dense output, image positions of 13 channels, one value per
  // row (y = beta), a row of 64, gamma or beta left out, and values around 300.
  const cases: [number, number, LayerNormOptions, number][] = [
    [5, 10, {}, 0],
    [2 * 7 * 3, 13, { epsilon: 1e-5 }, 0],
    [9, 1, {}, 0],
    [33, 64, { center: false }, 0],
    [7, 6, { scale: false }, 0],
    [4, 5, { center: false, scale: false }, 0],
    [11, 24, {}, 300],
  ];
  for (const [rows, cols, options, offset] of cases) {
    it(`forward, input gradient, gamma and beta gradients: ${rows}×${cols} ${JSON.stringify(options)}${offset ? ` around ${offset}` : ''}`, async () => {
      const device = await testDevice();
      const seed = rows * 31 + cols;
      const x = randomFloats(rows * cols, seed, -2, 2).map((v, i) => offset + v * (1 + (i % 3)));
      const dY = randomFloats(rows * cols, seed + 1);
      const gammaBeta = affine(cols, options, seed + 2);
      const owner = new ScratchOwner(device);
      const [xBuf, dYBuf, gbBuf] = [device.upload('x', x), device.upload('dY', dY), device.upload('gammaBeta', gammaBeta)];
      const present = affineRows(options);
      const [yBuf, dXBuf, termsBuf] = [1, 1, Math.max(present, 1)].map((k) => device.createBuffer('rows×cols', k * x.byteLength));
      const [savedBuf, dAffineBuf] = [2 * rows, Math.max(present, 1) * cols].map((n) => device.createBuffer('small', n * 4));
      const shape = { rows, cols };
      await runDispatches(device, [
        await layerNormForward(device, shape, options, { x: xBuf, gammaBeta: gbBuf, y: yBuf, saved: savedBuf }),
        await layerNormInputGradient(device, shape, options, { x: xBuf, gammaBeta: gbBuf, saved: savedBuf, dY: dYBuf, dX: dXBuf }),
        ...(await layerNormAffineGradient(device, shape, options, { x: xBuf, saved: savedBuf, dY: dYBuf, terms: termsBuf, dGammaBeta: dAffineBuf }, owner.scratch)),
      ]);
      const ref = layerNormRef(x, rows, cols, gammaBeta, options);
      // Around 300 an f32 mean is off by up to half an ULP (3e-5), scaled by gamma·invStd ≤ 1.5.
      const valueTolerance = offset ? { atol: 6e-5, rtol: 1e-5 } : TOLERANCE;
      expectClose(await device.readFloats(yBuf, 0, rows * cols), ref.y, valueTolerance, 'y');
      expectClose(await device.readFloats(savedBuf, 0, 2 * rows), ref.saved, { atol: 1e-5, rtol: 1e-5 }, 'saved mean, invStd');
      const back = layerNormBackwardRef(x, dY, rows, cols, gammaBeta, options);
      expectClose(await device.readFloats(dXBuf, 0, rows * cols), back.dX, valueTolerance, 'dX');
      // Column sums of ≤ 42 terms of magnitude ≤ 4, in gammaBeta's layout (the rows present).
      const expected = [options.scale ?? true ? back.dGamma : [], options.center ?? true ? back.dBeta : []].flatMap((r) => Array.from(r));
      expectClose(await device.readFloats(dAffineBuf, 0, present * cols), expected, { atol: 1e-4, rtol: 1e-5 }, 'dGamma, dBeta (those present)');
      for (const b of [xBuf, dYBuf, gbBuf, yBuf, dXBuf, termsBuf, savedBuf, dAffineBuf]) b.destroy();
      owner.destroy();
    });
  }

  for (const options of [{}, { center: false }, { scale: false, epsilon: 0.1 }] as LayerNormOptions[]) {
    it(`reference backward matches finite differences of the forward ${JSON.stringify(options)}`, () => {
      const [rows, cols] = [3, 5];
      const x = Float64Array.from(randomFloats(rows * cols, 51, -2, 2));
      const gammaBeta = Float64Array.from(affine(cols, options, 52));
      const weights = randomFloats(rows * cols, 53);
      const loss = (xs: Float64Array, gb: Float64Array) => dot(weights, layerNormRef(xs, rows, cols, gb, options).y);
      const { dX, dGamma, dBeta } = layerNormBackwardRef(x, weights, rows, cols, gammaBeta, options);
      const tolerance = { atol: 1e-7, rtol: 1e-6 };
      expectClose(dX, numericGradient((xs) => loss(xs, gammaBeta), x), tolerance, 'dX');
      const dAffine = numericGradient((gb) => loss(x, gb), gammaBeta);
      const scale = options.scale ?? true;
      if (scale) expectClose(dGamma, dAffine.subarray(0, cols), tolerance, 'dGamma');
      if (options.center ?? true) expectClose(dBeta, dAffine.subarray(scale ? cols : 0), tolerance, 'dBeta');
    });
  }
});
