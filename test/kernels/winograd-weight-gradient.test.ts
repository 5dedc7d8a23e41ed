/**
 * The weight gradient by Winograd F(3×3, 2×2) and F(3×3, 4×4) (src/kernels/winograd.ts,
 * winogradWeightGradient): the algorithm itself in float64 (test/helpers/winograd-ref.ts) against
 * the direct reference (conv2dBackwardRef), then the GPU against that reference, with V computed
 * from x and with the forward's V; and the tuner choosing between them and im2col + matmul.
 */
import { describe, expect, it } from 'vitest';
import { createDevice } from '../../src/device/device.js';
import { memoryChoiceStore } from '../../src/device/kernel-choices.js';
import { CONV_ALGORITHMS, chooseConvAlgorithm, convTuningKey } from '../../src/kernels/conv-algorithm.js';
import { forwardGeometry, weightGradientSizes, weightGradientSplits, winogradConv, winogradSizes, winogradTiles, winogradWeightGradient, type WinogradTile } from '../../src/kernels/winograd.js';
import { convGeometry, type Padding, type WindowParams } from '../../src/kernels/window.js';
import { conv2dBackwardRef } from '../../src/reference/conv.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';
import { winogradBound, winogradWeightGradientRef } from '../helpers/winograd-ref.js';

/**
 * Roundings on a term's way to a dW entry (see winogradBound), besides the sums over the tiles
 * (the matmul's and the slices'): the input transform, the dZ transform, the product, the output
 * transform (its ⅙ and 1/12 are inexact). Tile 2: 2 + 2 + 1 + 4; tile 4: 6 + 6 + 1 + 10.
 */
const WEIGHT_GRADIENT_ROUNDINGS = { 2: 9, 4: 23 } as const;

function layer(height: number, width: number, channels: number, batch: number, padding: Padding): WindowParams {
  return { ...convGeometry({ height, width, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding }), batch, channels };
}

const describeLayer = (p: WindowParams, cout: number) => `N${p.batch} ${p.height}×${p.width}×${p.channels} → ${cout} ${p.padding}`;

/**
 * dW on the GPU: V from x by the input transform (`fromForward` false), or V left by a Winograd
 * forward run first (the layer's case after a Winograd forward).
 */
async function gpuWeightGradient(p: WindowParams, cout: number, tile: WinogradTile, x: Float32Array, dZ: Float32Array, fromForward: boolean): Promise<Float32Array> {
  const device = await testDevice();
  const owner = new ScratchOwner(device);
  const g = forwardGeometry(p, cout, tile);
  const sizes = weightGradientSizes(g);
  const io = {
    x: device.upload('x', x), // (N, H, W, cin)
    // V starts as garbage, to show it is the forward's (or the input transform's) that is read.
    v: device.upload('v', new Float32Array(sizes.v).fill(Number.NaN)), // (P, tiles, cin), P = (tile + 2)²
    dZ: device.upload('dZ', dZ), // (N, OH, OW, cout)
    u: owner.scratch("u'", sizes.u * 4), // (P, tiles, cout)
    m: owner.scratch('m', sizes.m * 4), // (P, splits, cin, cout)
    dW: device.upload('dW', new Float32Array(9 * p.channels * cout).fill(Number.NaN)), // (3, 3, cin, cout)
  };
  if (fromForward) {
    const forward = winogradSizes(g);
    const w = device.upload('w', randomFloats(9 * p.channels * cout, 3)); // (3, 3, cin, cout)
    const rest = { u: owner.scratch('forward u', forward.u * 4), m: owner.scratch('forward m', forward.m * 4), y: owner.scratch('y', g.batch * g.outH * g.outW * cout * 4) };
    await runDispatches(device, await winogradConv(device, g, { x: io.x, w, v: io.v, ...rest }, {}, owner.scratch));
    w.destroy();
  }
  const dispatches = await winogradWeightGradient(device, g, { ...io, x: fromForward ? undefined : io.x }, {}, owner.scratch);
  expect(dispatches.some((d) => d.label.endsWith('input transform')), 'an input transform').toBe(!fromForward);
  await runDispatches(device, dispatches);
  const dW = await device.readFloats(io.dW, 0, 9 * p.channels * cout);
  for (const b of [io.x, io.v, io.dZ, io.dW]) b.destroy();
  owner.destroy();
  return dW;
}

// Odd and even output sizes (odd ones leave half tiles of dZ), channel counts that are and are
// not multiples of 4 (the scalar and vec4 transforms, and M = CIN of the products), batch 1 and
// 3, 'valid' and 'same'; the last one has enough tiles (512) to be cut into slices.
const cases: [WindowParams, number][] = [
  [layer(5, 5, 3, 1, 'valid'), 5],
  [layer(7, 6, 4, 3, 'same'), 8],
  [layer(6, 9, 5, 3, 'valid'), 3],
  [layer(9, 7, 1, 1, 'same'), 2],
  [layer(4, 3, 6, 3, 'valid'), 7],
  [layer(32, 32, 4, 2, 'same'), 4],
];

describe('Winograd weight gradient', () => {
  it('the algorithm in float64 equals the direct weight gradient, for both tiles', () => {
    for (const tile of [2, 4] as const) {
      for (const [index, [p, cout]] of cases.slice(0, 5).entries()) {
        const x = randomFloats(p.batch * p.height * p.width * p.channels, 70 + index);
        const dZ = randomFloats(p.batch * p.outH * p.outW * cout, 80 + index);
        const w = new Float32Array(9 * p.channels * cout);
        expectClose(winogradWeightGradientRef(x, dZ, p, cout, tile), conv2dBackwardRef(x, w, dZ, p).dW, { atol: 1e-12 }, `F(3×3, ${tile}×${tile}) ${describeLayer(p, cout)}`);
      }
    }
  });

  it('cuts a large sum over tiles into slices that divide it', () => {
    const g = forwardGeometry(cases[5][0], cases[5][1], 2);
    expect(winogradTiles(g)).toBe(512);
    expect(weightGradientSplits(g)).toBe(2);
    expect(weightGradientSplits(forwardGeometry(cases[0][0], cases[0][1], 2))).toBe(1);
    // mnist-cnn's conv2d_1 at batch 128: 18,432 tiles, 32 × 64 channels.
    expect(weightGradientSplits(forwardGeometry(layer(26, 26, 32, 128, 'valid'), 64, 2))).toBe(2);
    // 4×4 tiles: 128 of them here, too few to cut; mnist-bn's conv2d_1 at batch 128 has 4,608, 36 positions of 16 × 16 blocks.
    expect(winogradTiles(forwardGeometry(cases[5][0], cases[5][1], 4))).toBe(128);
    expect(weightGradientSplits(forwardGeometry(cases[5][0], cases[5][1], 4))).toBe(1);
    expect(weightGradientSplits(forwardGeometry(layer(26, 26, 64, 128, 'valid'), 64, 4))).toBe(1);
  });

  for (const tile of [2, 4] as const) {
    for (const [index, [p, cout]] of cases.entries()) {
      it(`F(3×3, ${tile}×${tile}) GPU vs float64 reference: ${describeLayer(p, cout)}`, async () => {
        const x = randomFloats(p.batch * p.height * p.width * p.channels, 10 + index);
        const dZ = randomFloats(p.batch * p.outH * p.outW * cout, 20 + index);
        const expected = conv2dBackwardRef(x, new Float32Array(9 * p.channels * cout), dZ, p).dW;
        const tiles = winogradTiles(forwardGeometry(p, cout, tile));
        const tol = winogradBound(winogradWeightGradientRef(x, dZ, p, cout, tile, true), WEIGHT_GRADIENT_ROUNDINGS[tile] + tiles);
        expectClose(await gpuWeightGradient(p, cout, tile, x, dZ, false), expected, tol, 'dW, V from x');
        expectClose(await gpuWeightGradient(p, cout, tile, x, dZ, true), expected, tol, "dW, the forward's V");
      });
    }
  }
});

describe('the weight gradient algorithm is chosen by the tuner', () => {
  it('after each forward algorithm: every chain timed once, the choice cached under its own key', async () => {
    const device = await createDevice({ tuning: 'measure', choiceStore: memoryChoiceStore() });
    try {
      const p = layer(10, 10, 8, 2, 'valid');
      const keys = new Set<string>();
      for (const forward of CONV_ALGORITHMS) {
        const picked = await chooseConvAlgorithm(device, p, 8, 'weight gradient', 'test conv', forward);
        const key = convTuningKey(p, 8, 'weight gradient', forward);
        keys.add(key);
        const stored = device.kernelChoices.get(key)!;
        expect(stored.kernel).toBe(picked);
        expect(Object.keys(stored.ms).sort(), forward).toEqual([...CONV_ALGORITHMS]);
        const timed = device.kernelChoices.timed;
        expect(await chooseConvAlgorithm(device, p, 8, 'weight gradient', 'test conv', forward)).toBe(picked);
        expect(device.kernelChoices.timed, 'timings on the second call').toBe(timed);
      }
      expect(keys.size).toBe(CONV_ALGORITHMS.length);
      expect(() => convTuningKey(p, 8, 'weight gradient')).toThrow(/forward's algorithm is given for the weight gradient/);
      expect(() => convTuningKey(p, 8, 'forward', 'im2col')).toThrow(/and only for it/);
    } finally {
      device.destroy();
    }
  });
});
