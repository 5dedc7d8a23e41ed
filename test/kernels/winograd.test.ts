import { describe, expect, it } from 'vitest';
import { forwardGeometry, inputGradientGeometry, winogradConv, winogradProblem, winogradSizes, type WinogradGeometry } from '../../src/kernels/winograd.js';
import { convGeometry, type Padding, type WindowParams } from '../../src/kernels/window.js';
import { activationForwardRef } from '../../src/reference/activation.js';
import { conv2dBackwardRef, conv2dRef } from '../../src/reference/conv.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';
import type { MatmulKernel } from '../../src/kernels/matmul.js';
import { createDevice } from '../../src/device/device.js';
import { memoryChoiceStore } from '../../src/device/kernel-choices.js';
import { chooseConvAlgorithm, convAlgorithmCandidates, convTuningKey } from '../../src/kernels/conv-algorithm.js';

const F32_EPS = 2 ** -24; // unit roundoff of float32

/**
 * The float32 error bound of one Winograd output, for inputs and weights in [-1, 1] summed
 * over `summed` channels (first order in the unit roundoff u). Magnitudes: Bᵀ and A have at most
 * two and three entries ±1 per row, G's rows sum to at most 1.5 in absolute value, so |V| ≤ 4,
 * |U| ≤ 2.25, |V·U| ≤ 9, and an output is a signed sum of 9 entries of M, each a sum of `summed`
 * such products: the sum of the absolute values of every term is at most 81·summed. Roundings
 * along the way, relative to that: the input transform 2 (two additions deep), the weight
 * transform 4, the product 1, the matmul's sum `summed`, the output transform 4, the bias 1.
 * (The direct convolution rounds a sum of 9·summed terms of magnitude ≤ 1 instead: the
 * transforms' larger intermediates are what Winograd pays in accuracy.)
 */
const winogradTolerance = (summed: number) => ({ atol: (12 + summed) * 81 * summed * F32_EPS });

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
    u: owner.scratch('u', sizes.u * 4), // (16, cin, cout)
    v: owner.scratch('v', sizes.v * 4), // (16, tiles, cin)
    m: owner.scratch('m', sizes.m * 4), // (16, tiles, cout)
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

describe('Winograd F(2×2, 3×3) forward vs float64 reference', () => {
  for (const [index, [p, cout]] of cases.entries()) {
    it(describeLayer(p, cout), async () => {
      const g = forwardGeometry(p, cout);
      const x = randomFloats(p.batch * p.height * p.width * p.channels, 10 + index);
      const w = randomFloats(9 * p.channels * cout, 20 + index);
      const bias = randomFloats(cout, 30 + index);
      const plain = await gpuWinograd(g, x, w, {});
      expectClose(plain, conv2dRef(x, w, null, p), winogradTolerance(p.channels), 'y');
      const withBiasRelu = await gpuWinograd(g, x, w, { bias, relu: true });
      const expected = activationForwardRef('relu', conv2dRef(x, w, bias, p));
      expect(withBiasRelu.filter((v) => v === 0).length, 'the ReLU cut').toBeGreaterThan(0);
      expectClose(withBiasRelu, expected, winogradTolerance(p.channels), 'relu(y + bias)');
    });
  }

  it('every matmul candidate computes the 16 products alike', async () => {
    const [p, cout] = cases[1];
    const g = forwardGeometry(p, cout);
    const x = randomFloats(p.batch * p.height * p.width * p.channels, 1);
    const w = randomFloats(9 * p.channels * cout, 2);
    const device = await testDevice();
    for (const kernel of ['quads', 'rows8', 'rows4', 'vec4', 'tiled'] as const) {
      if (kernel === 'quads' && !device.quads) continue;
      expectClose(await gpuWinograd(g, x, w, { matmulKernel: kernel }), conv2dRef(x, w, null, p), winogradTolerance(p.channels), kernel);
    }
  });

  it('refuses other kernels and strides, and says why', () => {
    expect(winogradProblem({ ...layer(8, 8, 4, 1, 'valid'), kernelH: 5, kernelW: 5 })).toMatch(/3×3 kernel \(got 5×5\)/);
    expect(winogradProblem({ ...layer(8, 8, 4, 1, 'valid'), strideH: 2 })).toMatch(/stride 1 \(got 2×1\)/);
    expect(() => forwardGeometry({ ...layer(8, 8, 4, 1, 'valid'), strideW: 2 }, 4)).toThrow(/stride 1/);
  });
});

describe('Winograd input gradient (rotated kernel) vs float64 reference and finite differences', () => {
  for (const [index, [p, cout]] of cases.entries()) {
    it(describeLayer(p, cout), async () => {
      const g = inputGradientGeometry(p, cout);
      const xCount = p.batch * p.height * p.width * p.channels;
      // No input within the 1e-6 finite-difference step of ReLU's kink at 0.
      const z = Float32Array.from(randomFloats(xCount, 40 + index), (v) => (Math.abs(v) < 1e-3 ? v + 2e-3 : v));
      const x = Float32Array.from(activationForwardRef('relu', z)); // the conv's input, a ReLU's output
      const w = randomFloats(9 * p.channels * cout, 50 + index);
      const dY = randomFloats(p.batch * p.outH * p.outW * cout, 60 + index);
      // dY's channels (the layer's cout) are the ones summed.
      const tol = winogradTolerance(cout);

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

describe('the conv algorithm is chosen by the tuner', () => {
  it('times both chains once per shape and direction, caches the choice, and times nothing the second time', async () => {
    const device = await createDevice({ tuning: 'measure', choiceStore: memoryChoiceStore() });
    try {
      const p = layer(10, 10, 8, 2, 'valid');
      expect(convAlgorithmCandidates(p)).toEqual(['im2col', 'winograd']);
      for (const direction of ['forward', 'input gradient'] as const) {
        const picked = await chooseConvAlgorithm(device, p, 8, direction, 'test conv');
        const stored = device.kernelChoices.get(convTuningKey(p, 8, direction))!;
        expect(stored.kernel).toBe(picked);
        expect(Object.keys(stored.ms).sort(), direction).toEqual(['im2col', 'winograd']);
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
});
