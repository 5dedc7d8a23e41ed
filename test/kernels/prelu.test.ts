/**
 * PReLU's kernels against the float64 reference over odd sizes and sharings (one alpha per
 * value, per channel, one for all), and the reference's backward against finite differences.
 */
import { describe, it } from 'vitest';
import { preluAlphaGradient, preluForward, preluInputGradient } from '../../src/kernels/prelu.js';
import { preluBackwardRef, preluRef } from '../../src/reference/prelu.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

/** Values in [-1, 1] with exact zeros sprinkled in (PReLU's kink). */
function values(count: number, seed: number): Float32Array {
  return randomFloats(count, seed, -1, 1).map((v, i) => (i % 13 === 5 ? 0 : v));
}

describe('PReLU kernels vs float64 reference', () => {
  // [count, alphas]: a scalar, per-value alphas (a Dense output), per-channel ones of images
  // (shared_axes [1, 2]), one alpha for all, and many rows over a few channels.
  for (const [count, alphas] of [[1, 1], [3 * 10, 10], [2 * 5 * 7 * 3, 3], [1000, 1], [4 * 26 * 26 * 8, 8]] as const) {
    it(`forward, input gradient and alpha gradient (${count} values, ${alphas} alphas)`, async () => {
      const device = await testDevice();
      const x = values(count, count);
      const alpha = randomFloats(alphas, alphas + 1, -0.5, 0.5);
      const dY = randomFloats(count, count + 2);
      const owner = new ScratchOwner(device);
      const [xBuf, alphaBuf, dYBuf] = [device.upload('x', x), device.upload('alpha', alpha), device.upload('dY', dY)];
      const [yBuf, dXBuf, termsBuf, dAlphaBuf] = [count, count, count, alphas].map((n) => device.createBuffer('out', n * 4));
      const size = { count, alphas };
      await runDispatches(device, [
        await preluForward(device, size, { x: xBuf, alpha: alphaBuf, y: yBuf }),
        await preluInputGradient(device, size, { x: xBuf, alpha: alphaBuf, dY: dYBuf, dX: dXBuf }),
        ...(await preluAlphaGradient(device, size, { x: xBuf, dY: dYBuf, terms: termsBuf, dAlpha: dAlphaBuf }, owner.scratch)),
      ]);
      const ref = preluBackwardRef(x, alpha, dY);
      // One float32 product each: half an ulp.
      expectClose(await device.readFloats(yBuf, 0, count), preluRef(x, alpha), { atol: 0, rtol: 6e-8 }, 'y');
      expectClose(await device.readFloats(dXBuf, 0, count), ref.dX, { atol: 0, rtol: 6e-8 }, 'dX');
      // Sums of count / alphas products below 1 in float32 partial sums: a few ulp of the row count.
      expectClose(await device.readFloats(dAlphaBuf, 0, alphas), ref.dAlpha, { atol: (count / alphas) * 2e-7 }, 'dAlpha');
      for (const b of [xBuf, alphaBuf, dYBuf, yBuf, dXBuf, termsBuf, dAlphaBuf]) b.destroy();
      owner.destroy();
    });
  }

  it('the reference backward is the forward\'s gradient by finite differences (away from 0)', () => {
    const x = Float64Array.from(values(60, 3), (v) => (Math.abs(v) < 1e-3 ? 0.5 : v));
    const alpha = Float64Array.from(randomFloats(6, 4, -0.5, 0.5));
    const r = randomFloats(60, 5);
    const { dX, dAlpha } = preluBackwardRef(x, alpha, r);
    expectClose(dX, numericGradient((v) => dot(r, preluRef(v, alpha)), x), { atol: 1e-8 }, 'dX');
    expectClose(dAlpha, numericGradient((a) => dot(r, preluRef(x, a)), alpha), { atol: 1e-8 }, 'dAlpha');
  });
});
