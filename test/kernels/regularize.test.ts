/**
 * The weight regularizers' kernels against float64 references: the gradient term added in
 * place, the penalty added (times the batch) to the running loss sum, over odd sizes and a
 * size past one workgroup's stride many times; the gradient is the penalty's by finite
 * differences.
 */
import { describe, expect, it } from 'vitest';
import { regularizationPenalty, regularizeGradient } from '../../src/kernels/regularize.js';
import type { Regularizer } from '../../src/nn/regularizers.js';
import { penaltyRef, regularizeGradientRef } from '../../src/reference/regularize.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

const REGULARIZERS: [string, Regularizer][] = [
  ['L2', { l1: 0, l2: 0.01 }],
  ['L1', { l1: 0.003, l2: 0 }],
  ['L1L2', { l1: 0.02, l2: 0.5 }],
];

/** Weights in [-1, 1] with exact zeros sprinkled in (L1's subgradient there is 0). */
function weights(count: number, seed: number): Float32Array {
  return randomFloats(count, seed).map((v, i) => (i % 17 === 3 ? 0 : v));
}

describe('regularizer kernels vs float64 reference', () => {
  it('the penalty counts every element once, however many workgroups share it (exact on ones)', async () => {
    const device = await testDevice();
    // 1 and 16 values: one partial sum; 17: two; 4097: 257, in two workgroups (and more than the
    // finishing workgroup has invocations); 65,536: 4096 of 16 each; 65,537 and 1,000,003: 4096
    // (the most), of unequal counts, each over many strided runs.
    for (const count of [1, 16, 17, 4097, 65_536, 65_537, 1_000_003]) {
      const wBuf = device.upload('w', new Float32Array(count).fill(1));
      const mBuf = device.upload('metrics', new Float32Array(4));
      const owner = new ScratchOwner(device);
      await runDispatches(device, await regularizationPenalty(device, count, { l1: 1, l2: 0 }, 1, { w: wBuf, metrics: mBuf }, owner.scratch));
      // Integers below 2^24 add exactly in f32, in any order.
      expect((await device.readFloats(mBuf))[0]).toBe(count);
      wBuf.destroy();
      mBuf.destroy();
      owner.destroy();
    }
  });

  for (const [name, r] of REGULARIZERS) {
    it(`${name}: gradient term and penalty`, async () => {
      const device = await testDevice();
      for (const count of [1, 7 * 13 * 5, 1000, 300_001]) {
        const w = weights(count, count);
        const grads = randomFloats(count, count + 1);
        const metrics = Float32Array.of(1.5, 3, 8, 0); // a loss sum the loss kernel left
        const batch = 5;
        const wBuf = device.upload('w', w);
        const gBuf = device.upload('grads', grads);
        const mBuf = device.upload('metrics', metrics);
        const owner = new ScratchOwner(device);
        await runDispatches(device, [
          ...(await regularizationPenalty(device, count, r, batch, { w: wBuf, metrics: mBuf }, owner.scratch)),
          await regularizeGradient(device, count, r, { w: wBuf, grads: gBuf }),
        ]);
        expectClose(await device.readFloats(gBuf, 0, count), regularizeGradientRef(w, grads, r), { atol: 1e-7, rtol: 1e-6 }, `${name} grads (n=${count})`);
        // f32 sums of up to 300,001 terms, in 4096 strided parts: relative 1e-5.
        const expected = [metrics[0] + batch * penaltyRef(w, r), 3, 8, 0];
        expectClose(await device.readFloats(mBuf), expected, { atol: 1e-6, rtol: 1e-5 }, `${name} metrics (n=${count})`);
        for (const b of [wBuf, gBuf, mBuf]) b.destroy();
        owner.destroy();
      }
    });

    it(`${name}: the reference gradient term is the penalty's gradient by finite differences`, () => {
      // Away from L1's kink at 0.
      const w = Float64Array.from(randomFloats(40, 5), (v) => (Math.abs(v) < 0.05 ? v + 0.1 : v));
      const numeric = numericGradient((v) => penaltyRef(v, r), w);
      expectClose(regularizeGradientRef(w, new Float64Array(40), r), numeric, { atol: 1e-7, rtol: 1e-6 }, `${name} gradient`);
    });
  }
});
