/**
 * The window copy of zero padding and cropping against its float64 reference, forward and
 * backward, over odd and asymmetric shapes; its backward is its adjoint (the gradient of a
 * linear map): ⟨shift(x), y⟩ = ⟨x, shiftBack(y)⟩.
 */
import { describe, expect, it } from 'vitest';
import { shiftWindow, shiftWindowBackward, type ShiftParams } from '../../src/kernels/pad.js';
import { shiftWindowRef } from '../../src/reference/pad.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { dot, expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

const cases: [string, ShiftParams][] = [
  ['pad 2 all round', { batch: 2, inH: 5, inW: 4, outH: 9, outW: 8, channels: 3, top: 2, left: 2 }],
  ['pad (1, 3) × (0, 2)', { batch: 3, inH: 7, inW: 6, outH: 11, outW: 8, channels: 1, top: 1, left: 0 }],
  ['crop (2, 1) × (1, 3)', { batch: 2, inH: 9, inW: 7, outH: 6, outW: 3, channels: 5, top: -2, left: -1 }],
  ['crop nothing', { batch: 1, inH: 3, inW: 3, outH: 3, outW: 3, channels: 2, top: 0, left: 0 }],
];

describe('zero padding and cropping vs float64 reference', () => {
  for (const [name, p] of cases) {
    it(`${name}: forward and backward`, async () => {
      const device = await testDevice();
      const inCount = p.batch * p.inH * p.inW * p.channels;
      const outCount = p.batch * p.outH * p.outW * p.channels;
      const x = randomFloats(inCount, inCount);
      const dY = randomFloats(outCount, outCount);
      const xBuf = device.upload('x', x);
      const yBuf = device.createBuffer('y', outCount * 4);
      const dYBuf = device.upload('dY', dY);
      const dXBuf = device.createBuffer('dX', inCount * 4);
      const back = shiftWindowBackward(p);
      await runDispatches(device, [await shiftWindow(device, p, { input: xBuf, output: yBuf }, 'forward'), await shiftWindow(device, back, { input: dYBuf, output: dXBuf }, 'backward')]);
      // A copy: exact.
      expectClose(await device.readFloats(yBuf, 0, outCount), shiftWindowRef(x, p), { atol: 0 }, `${name} y`);
      expectClose(await device.readFloats(dXBuf, 0, inCount), shiftWindowRef(dY, back), { atol: 0 }, `${name} dX`);
      for (const b of [xBuf, yBuf, dYBuf, dXBuf]) b.destroy();
    });

    it(`${name}: the backward copy is the forward's adjoint, its gradient`, () => {
      const x = randomFloats(p.batch * p.inH * p.inW * p.channels, 3);
      const y = randomFloats(p.batch * p.outH * p.outW * p.channels, 4);
      expect(dot(shiftWindowRef(x, p), y)).toBeCloseTo(dot(x, shiftWindowRef(y, shiftWindowBackward(p))), 10);
    });
  }
});
