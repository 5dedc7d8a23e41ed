/**
 * Rescaling's kernel against the float64 reference over sizes that leave partial workgroups,
 * and its backward against finite differences of the reference. (The 2-D grid its index
 * shares with every element-wise kernel is exercised once, in activation.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { scaleBackward, scaleForward } from '../../src/kernels/scale.js';
import { scaleRef } from '../../src/reference/scale.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

// One rounding of the exact x · f32(scale) + f32(offset) (a fused multiply-add): half an ulp of
// the result, plus the rounding of the constants themselves to f32 (relative 2^-24 each).
const TOLERANCE = { atol: 1e-7, rtol: 2e-7 };

describe('rescaling kernel', () => {
  // [count, scale, offset]: Keras' 1/255, a centring map, a negative scale; partial workgroups.
  const cases: [number, number, number][] = [
    [1, 1 / 255, 0],
    [7, 2, -1],
    [257, -0.5, 0.25],
    [70_001, 1 / 127.5, -1],
  ];
  for (const [count, scale, offset] of cases) {
    it(`forward and backward, ${count} elements, scale ${scale.toPrecision(4)}, offset ${offset}`, async () => {
      const device = await testDevice();
      const x = randomFloats(count, count, -3, 3);
      const dY = randomFloats(count, count + 1, -1, 1);
      const [xBuf, dYBuf] = [device.upload('x', x), device.upload('dY', dY)];
      const [yBuf, dXBuf] = [device.createBuffer('y', count * 4), device.createBuffer('dX', count * 4)];
      await runDispatches(device, [await scaleForward(device, count, scale, offset, { x: xBuf, y: yBuf }), await scaleBackward(device, count, scale, { dY: dYBuf, dX: dXBuf })]);
      const y = await device.readFloats(yBuf, 0, count);
      const dX = await device.readFloats(dXBuf, 0, count);
      for (const b of [xBuf, dYBuf, yBuf, dXBuf]) b.destroy();
      expectClose(y, scaleRef(x, scale, offset), TOLERANCE, 'y');
      expectClose(dX, scaleRef(dY, scale, 0), TOLERANCE, 'dX');
      if (count <= 257) {
        // dX is the gradient of dot(dY, y(x)): finite differences of the reference.
        const numeric = numericGradient((v) => dot(dY, scaleRef(v, scale, offset)), Float64Array.from(x));
        expectClose(dX, numeric, { atol: 1e-6, rtol: 1e-5 }, 'dX vs finite differences');
      }
      expect(y.every(Number.isFinite)).toBe(true);
    });
  }
});
