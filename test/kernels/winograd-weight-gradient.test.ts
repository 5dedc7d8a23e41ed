/**
 * The weight gradient by Winograd F(3×3, 2×2) (src/kernels/winograd.ts, winogradWeightGradient):
 * the algorithm itself in float64 against the direct reference (conv2dBackwardRef), then the
 * GPU against that reference, with V computed from x and with the forward's V; and the tuner
 * choosing between it and im2col + matmul.
 */
import { describe, expect, it } from 'vitest';
import { createDevice } from '../../src/device/device.js';
import { memoryChoiceStore } from '../../src/device/kernel-choices.js';
import { chooseConvAlgorithm, convTuningKey } from '../../src/kernels/conv-algorithm.js';
import { forwardGeometry, weightGradientSizes, weightGradientSplits, winogradConv, winogradSizes, winogradTiles, winogradWeightGradient } from '../../src/kernels/winograd.js';
import { convGeometry, type Padding, type WindowParams } from '../../src/kernels/window.js';
import { conv2dBackwardRef } from '../../src/reference/conv.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

const F32_EPS = 2 ** -24; // unit roundoff of float32

// The transforms, written out here independently of the shader: the forward's input transform
// Bᵀ (4×4), the 2×2 "filter"'s G' (4×2) and the 3×3 output's A'ᵀ (3×4).
const BT = [
  [1, 0, -1, 0],
  [0, 1, 1, 0],
  [0, -1, 1, 0],
  [0, 1, 0, -1],
];
const G2 = [
  [1, 0],
  [0.5, 0.5],
  [0.5, -0.5],
  [0, -1],
];
const AT = [
  [1, 1, 1, 0],
  [0, 1, -1, 0],
  [0, 1, 1, 1],
];

/** L · X · Rᵀ for small dense matrices. */
function sandwich(l: number[][], x: ArrayLike<number>[], r: number[][]): number[][] {
  const lx = l.map((row) => Array.from(x[0], (_, j) => row.reduce((s, v, k) => s + v * x[k][j], 0)));
  return lx.map((row) => r.map((rRow) => row.reduce((s, v, k) => s + v * rRow[k], 0)));
}

/**
 * dW by F(3×3, 2×2) in float64: per 2×2 tile of dZ at (2th, 2tw) and its 4×4 input tile from
 * (2th - padTop, 2tw - padLeft), M[ci, co] += (Bᵀ d B) ⊙ (G' g G'ᵀ), then dW = A'ᵀ M A'.
 */
function winogradWeightGradientRef(x: Float32Array, dZ: Float32Array, p: WindowParams, cout: number): Float64Array {
  const { batch, height, width, channels: cin, outH, outW, padTop, padLeft } = p;
  const m = Array.from({ length: cin * cout }, () => Array.from({ length: 4 }, () => new Float64Array(4)));
  for (let n = 0; n < batch; n++) {
    for (let th = 0; th < outH; th += 2) {
      for (let tw = 0; tw < outW; tw += 2) {
        const input = (r: number, c: number, ci: number) => {
          const row = th + r - padTop;
          const col = tw + c - padLeft;
          return row < 0 || row >= height || col < 0 || col >= width ? 0 : x[((n * height + row) * width + col) * cin + ci];
        };
        const grad = (r: number, c: number, co: number) => (th + r >= outH || tw + c >= outW ? 0 : dZ[((n * outH + th + r) * outW + tw + c) * cout + co]);
        const v = Array.from({ length: cin }, (_, ci) => sandwich(BT, [0, 1, 2, 3].map((r) => [0, 1, 2, 3].map((c) => input(r, c, ci))), BT));
        const u = Array.from({ length: cout }, (_, co) => sandwich(G2, [0, 1].map((r) => [0, 1].map((c) => grad(r, c, co))), G2));
        for (let ci = 0; ci < cin; ci++) {
          for (let co = 0; co < cout; co++) {
            for (let i = 0; i < 16; i++) m[ci * cout + co][i >> 2][i & 3] += v[ci][i >> 2][i & 3] * u[co][i >> 2][i & 3];
          }
        }
      }
    }
  }
  const dW = new Float64Array(9 * cin * cout);
  m.forEach((product, at) => {
    const out = sandwich(AT, product, AT);
    for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) dW[(kh * 3 + kw) * cin * cout + at] = out[kh][kw];
  });
  return dW;
}

/**
 * The float32 error bound of one dW entry, for x and dZ in [-1, 1] summed over `tiles` tiles
 * (first order in the unit roundoff u). Magnitudes: |V| ≤ 4 (Bᵀ's rows have two entries ±1),
 * |U'| ≤ 1 (G''s rows sum to at most 1 in absolute value), |V·U'| ≤ 4, and an entry is a signed
 * sum of 9 entries of M (A'ᵀ's rows have at most three ones), each a sum of `tiles` products:
 * every term's absolute value sums to at most 36·tiles. Roundings along the way, relative to
 * that: the input transform 2, the dZ transform 2, the product 1, the matmul's and the slices'
 * sums `tiles`, the output transform 4.
 */
const weightGradientTolerance = (tiles: number) => ({ atol: (9 + tiles) * 36 * tiles * F32_EPS });

function layer(height: number, width: number, channels: number, batch: number, padding: Padding): WindowParams {
  return { ...convGeometry({ height, width, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding }), batch, channels };
}

const describeLayer = (p: WindowParams, cout: number) => `N${p.batch} ${p.height}×${p.width}×${p.channels} → ${cout} ${p.padding}`;

/**
 * dW on the GPU: V from x by the input transform (`fromForward` false), or V left by a Winograd
 * forward run first (the layer's case after a Winograd forward).
 */
async function gpuWeightGradient(p: WindowParams, cout: number, x: Float32Array, dZ: Float32Array, fromForward: boolean): Promise<Float32Array> {
  const device = await testDevice();
  const owner = new ScratchOwner(device);
  const g = forwardGeometry(p, cout);
  const sizes = weightGradientSizes(g);
  const io = {
    x: device.upload('x', x), // (N, H, W, cin)
    // V starts as garbage, to show it is the forward's (or the input transform's) that is read.
    v: device.upload('v', new Float32Array(sizes.v).fill(Number.NaN)), // (16, tiles, cin)
    dZ: device.upload('dZ', dZ), // (N, OH, OW, cout)
    u: owner.scratch("u'", sizes.u * 4), // (16, tiles, cout)
    m: owner.scratch('m', sizes.m * 4), // (16, splits, cin, cout)
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

describe('Winograd F(3×3, 2×2) weight gradient', () => {
  it('the algorithm in float64 equals the direct weight gradient', () => {
    for (const [index, [p, cout]] of cases.slice(0, 5).entries()) {
      const x = randomFloats(p.batch * p.height * p.width * p.channels, 70 + index);
      const dZ = randomFloats(p.batch * p.outH * p.outW * cout, 80 + index);
      const w = new Float32Array(9 * p.channels * cout);
      expectClose(winogradWeightGradientRef(x, dZ, p, cout), conv2dBackwardRef(x, w, dZ, p).dW, { atol: 1e-12 }, describeLayer(p, cout));
    }
  });

  it('cuts a large sum over tiles into slices that divide it', () => {
    const g = forwardGeometry(cases[5][0], cases[5][1]);
    expect(winogradTiles(g)).toBe(512);
    expect(weightGradientSplits(g)).toBe(2);
    expect(weightGradientSplits(forwardGeometry(cases[0][0], cases[0][1]))).toBe(1);
    // mnist-cnn's conv2d_1 at batch 128: 18,432 tiles, 32 × 64 channels.
    expect(weightGradientSplits(forwardGeometry(layer(26, 26, 32, 128, 'valid'), 64))).toBe(2);
  });

  for (const [index, [p, cout]] of cases.entries()) {
    it(`GPU vs float64 reference: ${describeLayer(p, cout)}`, async () => {
      const x = randomFloats(p.batch * p.height * p.width * p.channels, 10 + index);
      const dZ = randomFloats(p.batch * p.outH * p.outW * cout, 20 + index);
      const expected = conv2dBackwardRef(x, new Float32Array(9 * p.channels * cout), dZ, p).dW;
      const tol = weightGradientTolerance(winogradTiles(forwardGeometry(p, cout)));
      expectClose(await gpuWeightGradient(p, cout, x, dZ, false), expected, tol, 'dW, V from x');
      expectClose(await gpuWeightGradient(p, cout, x, dZ, true), expected, tol, "dW, the forward's V");
    });
  }
});

describe('the weight gradient algorithm is chosen by the tuner', () => {
  it('after each forward algorithm: both chains timed once, the choice cached under its own key', async () => {
    const device = await createDevice({ tuning: 'measure', choiceStore: memoryChoiceStore() });
    try {
      const p = layer(10, 10, 8, 2, 'valid');
      const keys = new Set<string>();
      for (const forward of ['im2col', 'winograd'] as const) {
        const picked = await chooseConvAlgorithm(device, p, 8, 'weight gradient', 'test conv', forward);
        const key = convTuningKey(p, 8, 'weight gradient', forward);
        keys.add(key);
        const stored = device.kernelChoices.get(key)!;
        expect(stored.kernel).toBe(picked);
        expect(Object.keys(stored.ms).sort(), forward).toEqual(['im2col', 'winograd']);
        const timed = device.kernelChoices.timed;
        expect(await chooseConvAlgorithm(device, p, 8, 'weight gradient', 'test conv', forward)).toBe(picked);
        expect(device.kernelChoices.timed, 'timings on the second call').toBe(timed);
      }
      expect(keys.size).toBe(2);
      expect(() => convTuningKey(p, 8, 'weight gradient')).toThrow(/forward's algorithm is given for the weight gradient/);
      expect(() => convTuningKey(p, 8, 'forward', 'im2col')).toThrow(/and only for it/);
    } finally {
      device.destroy();
    }
  });
});
