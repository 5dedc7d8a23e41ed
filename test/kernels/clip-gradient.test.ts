import { describe, expect, it } from 'vitest';
import { clipByNorm, clipByValue } from '../../src/kernels/clip-gradient.js';
import { clipByNormRef, clipByValueRef } from '../../src/reference/clip-gradient.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

// Odd sizes: one partial sum (1), a few in one workgroup (91: 6, 1000: 63), the most (4096, in
// 16 workgroups), each over about 24 strided values (100,003).
const sizes = [1, 7 * 13, 1000, 100003];

describe('gradient clipping kernels vs float64 reference', () => {
  it('by value: clamped to ±clip, the rest untouched', async () => {
    const device = await testDevice();
    for (const count of sizes) {
      const g = randomFloats(count, count, -2, 2);
      const buffer = device.upload('g', g);
      await runDispatches(device, [await clipByValue(device, count, 0.5, { g: buffer })]);
      // Exact: a clamp only picks one of its arguments.
      expect(Array.from(await device.readFloats(buffer, 0, count))).toEqual(Array.from(clipByValueRef(g, Math.fround(0.5))));
      buffer.destroy();
    }
  });

  it('by norm: scaled down to norm clip when longer, untouched when shorter', async () => {
    const device = await testDevice();
    for (const count of sizes) {
      const g = randomFloats(count, count + 1, -1, 1);
      const norm = Math.sqrt(g.reduce((sum, v) => sum + v * v, 0));
      for (const clip of [0.25 * norm, 4 * norm + 1]) {
        const buffer = device.upload('g', g);
        const owner = new ScratchOwner(device);
        await runDispatches(device, await clipByNorm(device, count, clip, { g: buffer }, owner.scratch));
        // A sum of squares over ≤ 100,003 values by ≤ 4096 strided partial sums, then their strided sums and a tree: a few ulp relative.
        expectClose(await device.readFloats(buffer, 0, count), clipByNormRef(g, Math.fround(clip)), { atol: 1e-7, rtol: 2e-6 }, `clip ${clip} (n=${count})`);
        buffer.destroy();
        owner.destroy();
      }
    }
  });

  it("the reference: Keras' clip_by_norm on (3, 4) at 1 gives (0.6, 0.8); at 10, the same (3, 4)", () => {
    expect(Array.from(clipByNormRef([3, 4], 1))).toEqual([0.6000000000000001, 0.8]);
    expect(Array.from(clipByNormRef([3, 4], 10))).toEqual([3, 4]);
  });
});
