import { describe, expect, it } from 'vitest';
import { forwardGeometry, inputGradientGeometry, winogradConv, winogradProblem, winogradSizes, type WinogradGeometry, type WinogradTile } from '../../src/kernels/winograd.js';
import { convGeometry, type Padding, type WindowParams } from '../../src/kernels/window.js';
import { activationForwardRef } from '../../src/reference/activation.js';
import { conv2dBackwardRef, conv2dRef } from '../../src/reference/conv.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';
import { winogradBound, winogradForwardRef } from '../helpers/winograd-ref.js';
import type { MatmulKernel } from '../../src/kernels/matmul.js';
import { createDevice } from '../../src/device/device.js';
import { memoryChoiceStore } from '../../src/device/kernel-choices.js';
import { chooseConvAlgorithm, convAlgorithmCandidates, convTuningKey, tuningBatch } from '../../src/kernels/conv-algorithm.js';

const F32_EPS = 2 ** -24; // unit roundoff of float32

/**
 * Roundings on a term's way to a forward output (see winogradBound), besides the matmul's sum
 * over the `summed` channels: the input transform (two 1-D passes), the weight transform (its
 * inexact constants ½ are exact, ⅙ and 1/12 are not), the product, the output transform, the
 * bias. Tile 2: 2 + 4 + 1 + 4 + 1; tile 4: 6 + 8 + 1 + 6 + 1.
 */
const FORWARD_ROUNDINGS = { 2: 12, 4: 22 } as const;

/** The float32 bound of conv(x, w) by Winograd with this tile, from the terms' sizes in these very inputs. */
const winogradTolerance = (x: Float32Array, w: Float32Array, p: WindowParams, cout: number, tile: WinogradTile, summed: number) =>
  winogradBound(winogradForwardRef(x, w, p, cout, tile, true), FORWARD_ROUNDINGS[tile] + summed);

function layer(height: number, width: number, channels: number, batch: number, padding: Padding): WindowParams {
  return { ...convGeometry({ height, width, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding }), batch, channels };
}

const describeLayer = (p: WindowParams, cout: number) => `N${p.batch} ${p.height}×${p.width}×${p.channels} → ${cout} ${p.padding}`;

/** Runs one Winograd convolution on the GPU and reads its output. */
async function gpuWinograd(
  g: WinogradGeometry,
  x: Float32Array,
  w: Float32Array,
  options: { bias?: Float32Array; relu?: boolean; reluOutput?: Float32Array; inputGradient?: boolean; matmulKernel?: MatmulKernel },
): Promise<Float32Array> {
  const device = await testDevice();
  const owner = new ScratchOwner(device);
  const sizes = winogradSizes(g);
  const outCount = g.batch * g.outH * g.outW * g.cout;
  const io = {
    x: device.upload('x', x), // (N, inH, inW, cin)
    w: device.upload('w', w), // (3, 3, cin, cout), or the layer's (3, 3, cout, cin) for an input gradient
    u: owner.scratch('u', sizes.u * 4), // (P, cin, cout), P = (tile + 2)²
    v: owner.scratch('v', sizes.v * 4), // (P, tiles, cin)
    m: owner.scratch('m', sizes.m * 4), // (P, tiles, cout)
    // y starts as garbage, to show every output pixel is written.
    y: device.upload('y', new Float32Array(outCount).fill(Number.NaN)), // (N, outH, outW, cout)
    bias: options.bias && device.upload('bias', options.bias), // (cout)
    reluOutput: options.reluOutput && device.upload('relu output', options.reluOutput), // (N, outH, outW, cout)
  };
  await runDispatches(device, await winogradConv(device, g, io, { relu: options.relu, inputGradient: options.inputGradient, matmulKernel: options.matmulKernel }, owner.scratch));
  const y = await device.readFloats(io.y, 0, outCount);
  for (const b of [io.x, io.w, io.y, io.bias, io.reluOutput]) b?.destroy();
  owner.destroy();
  return y;
}

// Odd and even sizes (odd output sizes leave half tiles at the bottom and right), channel
// counts that are and are not multiples of 4 (the vec4 and scalar transforms), batch 1 and 3,
// 'valid' and 'same'.
const cases: [WindowParams, number][] = [
  [layer(5, 5, 3, 1, 'valid'), 5],
  [layer(7, 6, 4, 3, 'same'), 8],
  [layer(6, 9, 5, 3, 'valid'), 3],
  [layer(8, 8, 8, 1, 'same'), 4],
  [layer(9, 7, 1, 1, 'same'), 2],
  [layer(4, 3, 6, 3, 'valid'), 7],
  [layer(11, 10, 12, 1, 'valid'), 16],
];

for (const tile of [2, 4] as const) {
  describe(`Winograd F(${tile}×${tile}, 3×3) forward vs float64 reference`, () => {
    for (const [index, [p, cout]] of cases.entries()) {
      it(describeLayer(p, cout), async () => {
        const g = forwardGeometry(p, cout, tile);
        const x = randomFloats(p.batch * p.height * p.width * p.channels, 10 + index);
        const w = randomFloats(9 * p.channels * cout, 20 + index);
        const bias = randomFloats(cout, 30 + index);
        const tol = winogradTolerance(x, w, p, cout, tile, p.channels);
        const plain = await gpuWinograd(g, x, w, {});
        expectClose(plain, conv2dRef(x, w, null, p), tol, 'y');
        const withBiasRelu = await gpuWinograd(g, x, w, { bias, relu: true });
        const expected = activationForwardRef('relu', conv2dRef(x, w, bias, p));
        expect(withBiasRelu.filter((v) => v === 0).length, 'the ReLU cut').toBeGreaterThan(0);
        expectClose(withBiasRelu, expected, { atol: tol.atol + F32_EPS * Math.max(...bias.map(Math.abs)) }, 'relu(y + bias)');
      });
    }

    it('every matmul candidate computes the products alike', async () => {
      const [p, cout] = cases[1];
      const g = forwardGeometry(p, cout, tile);
      const x = randomFloats(p.batch * p.height * p.width * p.channels, 1);
      const w = randomFloats(9 * p.channels * cout, 2);
      const tol = winogradTolerance(x, w, p, cout, tile, p.channels);
      const device = await testDevice();
      for (const kernel of ['quads', 'rows8', 'rows4', 'vec4', 'tiled'] as const) {
        if (kernel === 'quads' && !device.quads) continue;
        expectClose(await gpuWinograd(g, x, w, { matmulKernel: kernel }), conv2dRef(x, w, null, p), tol, kernel);
      }
    });
  });

  describe(`Winograd F(${tile}×${tile}, 3×3) input gradient (rotated kernel) vs float64 reference and finite differences`, () => {
    for (const [index, [p, cout]] of cases.entries()) {
      it(describeLayer(p, cout), async () => {
        const g = inputGradientGeometry(p, cout, tile);
        const xCount = p.batch * p.height * p.width * p.channels;
        // No input within the 1e-6 finite-difference step of ReLU's kink at 0.
        const z = Float32Array.from(randomFloats(xCount, 40 + index), (v) => (Math.abs(v) < 1e-3 ? v + 2e-3 : v));
        const x = Float32Array.from(activationForwardRef('relu', z)); // the conv's input, a ReLU's output
        const w = randomFloats(9 * p.channels * cout, 50 + index);
        const dY = randomFloats(p.batch * p.outH * p.outW * cout, 60 + index);
        // dX is the convolution of dY (cout channels, summed) with the rotated kernel, in and out swapped.
        const dXConv = { ...p, height: p.outH, width: p.outW, outH: p.height, outW: p.width, channels: cout, padTop: 2 - p.padTop, padLeft: 2 - p.padLeft };
        const tol = winogradTolerance(dY, rotatedKernel(w, p.channels, cout), dXConv, p.channels, tile, cout);

        const dX = await gpuWinograd(g, dY, w, { inputGradient: true });
        expectClose(dX, conv2dBackwardRef(x, w, dY, p).dX, tol, 'dX');

        // With the previous layer's ReLU backward fused: the gradient with respect to z of
        // Σ dY ⊙ conv(relu(z)), by central differences (exact up to rounding: linear on each side of 0).
        const masked = await gpuWinograd(g, dY, w, { inputGradient: true, reluOutput: x });
        expect(masked.filter((v) => v === 0).length, 'the mask cut').toBeGreaterThan(xCount / 4);
        const numeric = numericGradient((v) => dot(dY, conv2dRef(activationForwardRef('relu', v), w, null, p)), Float64Array.from(z));
        expectClose(masked, numeric, { atol: tol.atol + 1e-8 }, 'masked dX vs finite differences');
      });
    }
  });
}

describe('Winograd geometry', () => {
  it('refuses other kernels and strides, and says why', () => {
    expect(winogradProblem({ ...layer(8, 8, 4, 1, 'valid'), kernelH: 5, kernelW: 5 })).toMatch(/3×3 kernel \(got 5×5\)/);
    expect(winogradProblem({ ...layer(8, 8, 4, 1, 'valid'), strideH: 2 })).toMatch(/stride 1 \(got 2×1\)/);
    expect(() => forwardGeometry({ ...layer(8, 8, 4, 1, 'valid'), strideW: 2 }, 4, 4)).toThrow(/stride 1/);
  });

  it('the float64 algorithm equals the direct convolution for both tiles', () => {
    for (const tile of [2, 4] as const) {
      for (const [index, [p, cout]] of cases.entries()) {
        const x = randomFloats(p.batch * p.height * p.width * p.channels, 70 + index);
        const w = randomFloats(9 * p.channels * cout, 80 + index);
        expectClose(winogradForwardRef(x, w, p, cout, tile), conv2dRef(x, w, null, p), { atol: 1e-12 }, `F(${tile}×${tile}) ${describeLayer(p, cout)}`);
      }
    }
  });
});

/** The kernel (3, 3, cout, cin) of a layer's input gradient: w (3, 3, cin, cout) rotated by 180°, in and out swapped. */
function rotatedKernel(w: Float32Array, cin: number, cout: number): Float32Array {
  const r = new Float32Array(w.length);
  for (let kh = 0; kh < 3; kh++) {
    for (let kw = 0; kw < 3; kw++) {
      for (let ci = 0; ci < cin; ci++) for (let co = 0; co < cout; co++) r[((kh * 3 + kw) * cout + co) * cin + ci] = w[(((2 - kh) * 3 + (2 - kw)) * cin + ci) * cout + co];
    }
  }
  return r;
}

describe('the conv algorithm is chosen by the tuner', () => {
  it('times every chain once per shape and direction, caches the choice, and times nothing the second time', async () => {
    const device = await createDevice({ tuning: 'measure', choiceStore: memoryChoiceStore() });
    try {
      const p = layer(10, 10, 8, 2, 'valid');
      expect(convAlgorithmCandidates(p)).toEqual(['im2col', 'winograd', 'winograd4']);
      for (const direction of ['forward', 'input gradient'] as const) {
        const picked = await chooseConvAlgorithm(device, p, 8, direction, 'test conv');
        const stored = device.kernelChoices.get(convTuningKey(p, 8, direction))!;
        expect(stored.kernel).toBe(picked);
        expect(Object.keys(stored.ms).sort(), direction).toEqual(['im2col', 'winograd', 'winograd4']);
        const timed = device.kernelChoices.timed;
        expect(await chooseConvAlgorithm(device, p, 8, direction, 'test conv')).toBe(picked);
        expect(device.kernelChoices.timed, 'timings on the second call').toBe(timed);
      }
      // A stride-2 layer has one candidate: nothing to time.
      const strided = { ...layer(10, 10, 8, 2, 'valid'), strideH: 2, strideW: 2, outH: 4, outW: 4 };
      expect(convAlgorithmCandidates(strided)).toEqual(['im2col']);
      const timed = device.kernelChoices.timed;
      expect(await chooseConvAlgorithm(device, strided, 8, 'forward', 'strided')).toBe('im2col');
      expect(device.kernelChoices.timed).toBe(timed);
    } finally {
      device.destroy();
    }
  });

  it('times a large batch on fewer images, but never fewer than 4096 output pixels where the batch has them', () => {
    // mnist-bn's conv2d_1 at batch 128 (24×24 outputs, 42 MFLOP per image): the FLOPs cap alone
    // would time one image; 4096 pixels take 8.
    const big = layer(26, 26, 64, 128, 'valid');
    expect(tuningBatch(big, 64)).toBe(Math.ceil(4096 / (24 * 24)));
    // A small layer is timed at its own batch, and never above it.
    expect(tuningBatch(layer(10, 10, 8, 2, 'valid'), 8)).toBe(2);
    // A cheap layer with a large batch: the FLOPs cap (2^26) allows more than 4096 pixels.
    const cheap = layer(28, 28, 1, 4096, 'valid');
    expect(tuningBatch(cheap, 4)).toBe(Math.floor(2 ** 26 / (2 * 26 * 26 * 9 * 4)));
  });
});
