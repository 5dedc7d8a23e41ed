import { describe, expect, it } from 'vitest';
import { activationBackward, activationForward, backwardReads, type Activation } from '../../src/kernels/activation.js';
import { activationBackwardRef, activationForwardRef, erfc } from '../../src/reference/activation.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

// [kind, leaky relu's negative slope]: Keras' activation default 0.2, and its layer's 0.3.
const kinds: [Activation, number?][] = [['linear'], ['relu'], ['sigmoid'], ['tanh'], ['leaky_relu'], ['leaky_relu', 0.3], ['elu'], ['selu'], ['softplus'], ['swish'], ['gelu'], ['relu6'], ['softsign'], ['mish']];
// Odd sizes; relu also runs one size past the 65,535-workgroup limit of a 1-D dispatch,
// which exercises the 2-D grid (once is enough: it is slow on a software adapter).
const countsFor = (kind: Activation) => (kind === 'relu' ? [1, 7 * 13 * 5, 1000, 65536 * 256 + 3] : [1, 7 * 13 * 5, 1000]);

describe('activation kernels vs float64 reference', () => {
  for (const [kind, slope] of kinds) {
    const name = slope === undefined ? kind : `${kind} (negative slope ${slope})`;
    it(`${name} forward and backward`, async () => {
      const device = await testDevice();
      for (const count of countsFor(kind)) {
        // Past ±3 for the activations with exponentials: large inputs saturate them (softplus,
        // swish) or overflow e^x where the kernel must not use it (elu, selu).
        const x = randomFloats(count, count, -12, 12);
        const dY = randomFloats(count, count + 1);
        const xBuf = device.upload('x', x);
        const yBuf = device.createBuffer('y', count * 4);
        const dYBuf = device.upload('dY', dY);
        const dXBuf = device.createBuffer('dX', count * 4);
        const fromInput = backwardReads(kind) === 'input';
        await runDispatches(device, [
          await activationForward(device, kind, count, { x: xBuf, y: yBuf }, slope),
          await activationBackward(device, kind, count, { saved: fromInput ? xBuf : yBuf, dY: dYBuf, dX: dXBuf }, slope),
        ]);
        const y = await device.readFloats(yBuf, 0, count);
        const yRef = activationForwardRef(kind, x, slope);
        // exp/tanh in f32 on the GPU: a few ulp.
        expectClose(y, yRef, { atol: 1e-6, rtol: 1e-5 }, `${kind} y (n=${count})`);
        // Backward from the GPU's own forward output, so the check isolates the backward.
        const dXRef = activationBackwardRef(kind, fromInput ? x : y, dY, slope);
        expectClose(await device.readFloats(dXBuf, 0, count), dXRef, { atol: 1e-6, rtol: 1e-5 }, `${kind} dX (n=${count})`);
        for (const b of [xBuf, yBuf, dYBuf, dXBuf]) b.destroy();
      }
    });

    it(`${name} reference backward matches finite differences`, () => {
      // Keep inputs away from relu's kink at 0, where the derivative is undefined; relu6's
      // (kinks at 0 and 6) spread past 6.
      const spread = kind === 'relu6' ? 8 : 2;
      const x = Float64Array.from(randomFloats(40, 7, -spread, spread), (v) => (Math.abs(v) < 0.05 || Math.abs(v - 6) < 0.05 ? v + 0.1 : v));
      const w = randomFloats(40, 8);
      const loss = (v: Float64Array) => dot(w, activationForwardRef(kind, v, slope));
      const numeric = numericGradient(loss, x);
      const analytic = activationBackwardRef(kind, backwardReads(kind) === 'input' ? x : activationForwardRef(kind, x, slope), w, slope);
      expectClose(analytic, numeric, { atol: 1e-7, rtol: 1e-6 }, `${kind} gradient`);
    });
  }

  it("GELU's float64 erfc agrees with Python's math.erfc (the C library's) to 1e-12", () => {
    // [z, math.erfc(z)], printed by Python 3.11: both sides of the series/continued-fraction switch at |z| = 2.5.
    const table = [
      [-4, 1.999999984582742], [-2.6, 1.9997639655834707], [-1, 1.842700792949715], [0, 1], [0.2, 0.7772974107895215],
      [1, 0.15729920705028513], [2.49, 0.000429287867733913], [2.5, 0.0004069520174449589], [3, 0.000022090496998585438],
      [6, 2.1519736712498916e-17], [9, 4.13703174651381e-37],
    ];
    for (const [z, expected] of table) expect(Math.abs(erfc(z) - expected) / expected, `erfc(${z})`).toBeLessThan(1e-12);
  });

  it('a WebGPU validation error becomes a thrown error naming the kernel', async () => {
    const device = await testDevice();
    // A buffer without STORAGE usage cannot be bound as storage: validation fails.
    const notStorage = device.gpu.createBuffer({ size: 64, usage: GPUBufferUsage.COPY_DST, label: 'not-storage' });
    const y = device.createBuffer('y', 64);
    await expect(activationForward(device, 'relu', 16, { x: notStorage, y })).rejects.toThrow(/relu forward/);
    // The device stays usable afterwards.
    const x = device.upload('x', new Float32Array([-1, 2]));
    const y2 = device.createBuffer('y2', 8);
    await runDispatches(device, [await activationForward(device, 'relu', 2, { x, y: y2 })]);
    expect(Array.from(await device.readFloats(y2, 0, 2))).toEqual([0, 2]);
  });
});
