/**
 * The tuner's cache keys (src/runtime/tuner.ts tuningKey): a choice is keyed by every shader
 * its timing depended on. Two halves: (1) on the device, every shader text a family's
 * candidates actually dispatch while the tuner times them is in the list that family keys
 * by; (2) with one shader file changed (the module mocked), the conv algorithm's stored choice
 * misses the cache, for each file its chains use, and hits with the files unchanged or with
 * an unrelated one changed.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createDevice, type Device } from '../../src/device/device.js';
import { memoryChoiceStore } from '../../src/device/kernel-choices.js';
import { CONV_ALGORITHM_SHADERS, chooseConvAlgorithm, convTuningKey } from '../../src/kernels/conv-algorithm.js';
import { im2col, IM2COL_SHADERS } from '../../src/kernels/im2col.js';
import { matmul, MATMUL_SHADERS } from '../../src/kernels/matmul.js';
import { maxPoolBackward, poolGeometry, POOL_SHADERS } from '../../src/kernels/pool.js';
import { convGeometry, type WindowParams } from '../../src/kernels/window.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { tuningKey } from '../../src/runtime/tuner.js';

const devices: Device[] = [];
afterAll(() => devices.forEach((d) => d.destroy()));

/** A device that times every choice afresh, and the shader texts of every pipeline asked for during `work`. */
async function dispatchedShaders(work: (device: Device, owner: ScratchOwner) => Promise<unknown>): Promise<{ codes: Set<string>; timed: number }> {
  const device = await createDevice({ tuning: 'measure', choiceStore: memoryChoiceStore() });
  devices.push(device);
  const codes = new Set<string>();
  const get = device.pipelines.get.bind(device.pipelines);
  device.pipelines.get = (key) => {
    codes.add(key.code);
    return get(key);
  };
  const owner = new ScratchOwner(device);
  await work(device, owner);
  owner.destroy();
  return { codes, timed: device.kernelChoices.timed };
}

const conv = (batch: number, size: number, channels: number, kernel: number): WindowParams => ({
  ...convGeometry({ height: size, width: size, kernelH: kernel, kernelW: kernel, strideH: 1, strideW: 1, padding: 'same' }),
  batch,
  channels,
});

describe("every shader a tuned choice's timing dispatches is in its family's key", () => {
  it('conv algorithm (both Winograds against im2col + matmul, both directions, scalar and vec4 channels)', async () => {
    const { codes, timed } = await dispatchedShaders(async (device) => {
      for (const [channels, cout] of [[4, 8], [3, 5]]) {
        for (const direction of ['forward', 'input gradient'] as const) await chooseConvAlgorithm(device, conv(1, 6, channels, 3), cout, direction, 'conv');
      }
    });
    expect(timed).toBe(12); // 2 shapes × 2 directions × 3 algorithms
    // Every chain ran: both Winograds' transforms, im2col or col2im, and matmuls.
    expect(codes.size).toBeGreaterThanOrEqual(4);
    for (const code of codes) expect(CONV_ALGORITHM_SHADERS, code.slice(0, 120)).toContain(code);
  });

  it('im2col, max pool backward and the matmul', async () => {
    const cases = [
      { list: IM2COL_SHADERS, run: (d: Device, o: ScratchOwner) => im2col(d, conv(2, 5, 1, 2), { x: o.scratch('x', 2 * 25 * 4), col: o.scratch('col', 2 * 25 * 4 * 4) }) },
      {
        list: POOL_SHADERS,
        run: async (d: Device, o: ScratchOwner) => {
          for (const channels of [4, 3]) {
            const p = { ...poolGeometry({ height: 4, width: 4, poolH: 2, poolW: 2 }), batch: 1, channels };
            await maxPoolBackward(d, p, { dY: o.scratch('dY', 4 * channels * 4), argmax: o.scratch('argmax', 4 * channels * 4), dX: o.scratch('dX', 16 * channels * 4) });
          }
        },
      },
      { list: MATMUL_SHADERS, run: (d: Device, o: ScratchOwner) => matmul(d, { m: 12, n: 8, k: 16 }, { a: o.scratch('a', 12 * 16 * 4), b: o.scratch('b', 16 * 8 * 4), c: o.scratch('c', 12 * 8 * 4) }, o.scratch) },
    ];
    for (const { list, run } of cases) {
      const { codes, timed } = await dispatchedShaders(run);
      expect(timed).toBeGreaterThanOrEqual(2);
      for (const code of codes) expect(list, code.slice(0, 120)).toContain(code);
    }
  });
});

describe('tuningKey', () => {
  it('changes with any one shader of the list, not with a copy of the list, its order or repeats', () => {
    const shaders = ['shader a', 'shader b', 'shader c'];
    const key = tuningKey('family', shaders, '4×4');
    expect(tuningKey('family', [...shaders], '4×4')).toBe(key);
    expect(tuningKey('family', ['shader c', 'shader a', 'shader b', 'shader a'], '4×4')).toBe(key);
    shaders.forEach((_, i) => {
      const changed = shaders.map((s, j) => (j === i ? `${s} ` : s));
      expect(tuningKey('family', changed, '4×4'), `shader ${i}`).not.toBe(key);
    });
    expect(tuningKey('family', shaders, '4×5')).not.toBe(key);
    expect(tuningKey('other', shaders, '4×4')).not.toBe(key);
  });
});

describe("the conv algorithm's stored choice, with one shader file changed", () => {
  // Every shader file the chains dispatch (src/kernels/winograd.ts, im2col.ts, matmul.ts).
  const used = ['winograd-common', 'winograd', 'winograd4', 'im2col', 'window', 'matmul', 'matmul-quads', 'matmul-vec4', 'matmul-tiled', 'matmul-common', 'matmul-output'];
  const p = conv(1, 6, 4, 3);

  /** The conv-algorithm module loaded afresh, with `file` (shaders/<file>.wgsl) one comment longer. */
  async function convModuleWith(file: string | undefined): Promise<typeof import('../../src/kernels/conv-algorithm.js')> {
    vi.resetModules();
    if (file) {
      const text = readFileSync(new URL(`../../shaders/${file}.wgsl`, import.meta.url), 'utf8');
      vi.doMock(`../../shaders/${file}.wgsl`, () => ({ default: `${text}\n// changed\n` }));
    }
    try {
      return await import('../../src/kernels/conv-algorithm.js');
    } finally {
      if (file) vi.doUnmock(`../../shaders/${file}.wgsl`);
    }
  }

  /** A 'cached' device whose store holds 'winograd' (not the fallback) under today's key; what it picks through `module`. */
  async function pickedThrough(module: Awaited<ReturnType<typeof convModuleWith>>): Promise<{ picked: string; hits: number }> {
    const store = memoryChoiceStore();
    const device = await createDevice({ tuning: 'cached', choiceStore: store });
    devices.push(device);
    device.kernelChoices.set(convTuningKey(p, 8, 'forward'), { kernel: 'winograd', ms: {} });
    const picked = await module.chooseConvAlgorithm(device, p, 8, 'forward', 'conv');
    return { picked, hits: device.kernelChoices.cacheHits };
  }

  it('hits with every file unchanged, and with an unrelated one (pool.wgsl) changed', async () => {
    expect(await pickedThrough(await convModuleWith(undefined))).toEqual({ picked: 'winograd', hits: 1 });
    expect(await pickedThrough(await convModuleWith('pool'))).toEqual({ picked: 'winograd', hits: 1 });
  });

  for (const file of used) {
    it(`misses with shaders/${file}.wgsl changed`, async () => {
      expect(await pickedThrough(await convModuleWith(file))).toEqual({ picked: 'im2col', hits: 0 });
    });
  }
});
