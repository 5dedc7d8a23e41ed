import { describe, expect, it } from 'vitest';
import { constrain, type Constraint } from '../../src/kernels/constrain.js';
import { constrainRef } from '../../src/reference/constrain.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

// (rows, cols): a Dense kernel, a Conv2D kernel as (3·3·5, 7), a bias as (units, 1), one column
// longer than a workgroup, and a single value.
const shapes: [number, number][] = [[13, 6], [45, 7], [10, 1], [1000, 3], [1, 1]];

const constraints: Constraint[] = [
  { kind: 'nonNeg' },
  { kind: 'maxNorm', maxValue: 1.5, axis: 0 },
  { kind: 'unitNorm', axis: 0 },
  { kind: 'minMaxNorm', minValue: 0.5, maxValue: 2, rate: 0.7, axis: 0 },
];

describe('constraint kernels vs float64 reference', () => {
  for (const c of constraints) {
    it(JSON.stringify(c), async () => {
      const device = await testDevice();
      for (const [rows, cols] of shapes) {
        // Columns of norms from about 0.3 to 6, so that every clamp both bites and does not.
        const w = Float32Array.from(randomFloats(rows * cols, rows + cols, -1, 1), (v, i) => (v * (0.3 + (i % cols))) / Math.sqrt(rows / 3));
        const buffer = device.upload('w', w);
        await runDispatches(device, [await constrain(device, c, { rows, cols }, { w: buffer })]);
        const ref = constrainRef(c, w, rows, cols);
        // A sum of squares over ≤ 1000 rows by a tree (≤ 12 roundings), a square root and one
        // product per value: a few ulp of each value.
        expectClose(await device.readFloats(buffer, 0, rows * cols), ref, { atol: 1e-7, rtol: 2e-6 }, `${c.kind} (${rows}, ${cols})`);
        buffer.destroy();
      }
    });
  }

  it("the reference: Keras' MaxNorm leaves a short column and shrinks a long one to the maximum", () => {
    // Columns (3, 4) of norm 5 and (0.3, 0.4) of norm 0.5, under MaxNorm(2).
    const out = constrainRef({ kind: 'maxNorm', maxValue: 2, axis: 0 }, [3, 0.3, 4, 0.4], 2, 2);
    expectClose(out, [(3 * 2) / (5 + 1e-7), 0.3 * (0.5 / (0.5 + 1e-7)), (4 * 2) / (5 + 1e-7), 0.4 * (0.5 / (0.5 + 1e-7))], { atol: 1e-15 }, 'max norm');
    expect(Array.from(constrainRef({ kind: 'nonNeg' }, [-1, 0, 2], 3, 1))).toEqual([0, 0, 2]);
  });
});
