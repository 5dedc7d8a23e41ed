/**
 * The depthwise convolution's kernels against the float64 references over odd shapes, strides,
 * 'same' padding, dilation and depth multipliers 1 to 3; the references' gradients against finite
 * differences.
 */
import { describe, it } from 'vitest';
import { depthwiseForward, depthwiseInputGradient, depthwiseKernelGradient, type DepthwiseParams } from '../../src/kernels/depthwise.js';
import { convGeometry } from '../../src/kernels/window.js';
import { depthwiseBackwardRef, depthwiseRef } from '../../src/reference/depthwise.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

function params(height: number, width: number, kernel: [number, number], stride: [number, number], padding: 'valid' | 'same', batch: number, channels: number, depthMultiplier: number, dilation: [number, number] = [1, 1]): DepthwiseParams {
  const spec = { height, width, kernelH: kernel[0], kernelW: kernel[1], strideH: stride[0], strideW: stride[1], padding, dilationH: dilation[0], dilationW: dilation[1] };
  return { ...convGeometry(spec), batch, channels, depthMultiplier };
}

const describeCase = (p: DepthwiseParams) => `N${p.batch} ${p.height}×${p.width}×${p.channels} ×${p.depthMultiplier} k${p.kernelH}×${p.kernelW} s${p.strideH}×${p.strideW} ${p.padding} d${p.dilationH}×${p.dilationW}`;

const cases: DepthwiseParams[] = [
  params(5, 5, [1, 1], [1, 1], 'valid', 1, 1, 1),
  params(7, 6, [3, 3], [1, 1], 'same', 2, 3, 1),
  params(9, 8, [3, 2], [2, 2], 'same', 3, 2, 2),
  params(8, 9, [2, 3], [1, 1], 'valid', 1, 5, 3),
  params(9, 10, [3, 3], [1, 1], 'same', 2, 4, 2, [2, 3]),
  params(7, 8, [2, 2], [3, 3], 'valid', 2, 3, 1), // stride past the kernel: pixels in no window
  params(26, 26, [3, 3], [1, 1], 'valid', 3, 8, 1), // over a chunk of the kernel gradient's rows
];

describe('depthwise convolution kernels vs float64 reference', () => {
  for (const [index, p] of cases.entries()) {
    it(describeCase(p), async () => {
      const device = await testDevice();
      const outputs = p.channels * p.depthMultiplier;
      const taps = p.kernelH * p.kernelW * outputs;
      const xCount = p.batch * p.height * p.width * p.channels;
      const yCount = p.batch * p.outH * p.outW * outputs;
      const x = randomFloats(xCount, 10 + index);
      const kernel = randomFloats(taps, 20 + index);
      const bias = randomFloats(outputs, 30 + index);
      const dZ = randomFloats(yCount, 40 + index);
      const owner = new ScratchOwner(device);
      const [xBuf, kBuf, bBuf, dZBuf] = [device.upload('x', x), device.upload('kernel', kernel), device.upload('bias', bias), device.upload('dZ', dZ)];
      // Outputs start as NaN, to show every element is written.
      const nan = (n: number) => device.upload('out', new Float32Array(n).fill(Number.NaN));
      const [yBuf, dXBuf, dKBuf] = [nan(yCount), nan(xCount), nan(taps)];
      await runDispatches(device, [
        await depthwiseForward(device, p, { x: xBuf, kernel: kBuf, bias: bBuf, y: yBuf }),
        await depthwiseInputGradient(device, p, { dZ: dZBuf, kernel: kBuf, dX: dXBuf }),
        ...(await depthwiseKernelGradient(device, p, { x: xBuf, dZ: dZBuf, dKernel: dKBuf }, owner.scratch)),
      ]);
      const ref = depthwiseBackwardRef(x, kernel, dZ, p);
      // float32 sums of at most KH·KW (+1) products in [-1, 1] (dX: times DM): a few ulp of that count.
      const window = p.kernelH * p.kernelW * p.depthMultiplier + 1;
      expectClose(await device.readFloats(yBuf, 0, yCount), depthwiseRef(x, kernel, bias, p), { atol: window * 2.4e-7 }, 'y');
      expectClose(await device.readFloats(dXBuf, 0, xCount), ref.dX, { atol: window * 2.4e-7 }, 'dX');
      // dK sums one product per output pixel: N·OH·OW terms.
      expectClose(await device.readFloats(dKBuf, 0, taps), ref.dKernel, { atol: p.batch * p.outH * p.outW * 2.4e-7 }, 'dKernel');
      for (const b of [xBuf, kBuf, bBuf, dZBuf, yBuf, dXBuf, dKBuf]) b.destroy();
      owner.destroy();
    });
  }

  for (const p of [params(5, 4, [3, 3], [1, 1], 'same', 2, 2, 2), params(7, 6, [2, 3], [2, 1], 'valid', 1, 3, 1), params(7, 7, [3, 2], [1, 1], 'same', 1, 2, 2, [2, 3])]) {
    it(`the references' gradients match finite differences (${describeCase(p)})`, () => {
      const outputs = p.channels * p.depthMultiplier;
      const x = Float64Array.from(randomFloats(p.batch * p.height * p.width * p.channels, 1));
      const kernel = Float64Array.from(randomFloats(p.kernelH * p.kernelW * outputs, 2));
      const bias = Float64Array.from(randomFloats(outputs, 3));
      const r = randomFloats(p.batch * p.outH * p.outW * outputs, 4);
      const grads = depthwiseBackwardRef(x, kernel, r, p);
      // Linear in each argument: central differences are exact up to rounding.
      const tol = { atol: 1e-8 };
      expectClose(grads.dX, numericGradient((v) => dot(r, depthwiseRef(v, kernel, bias, p)), x), tol, 'dX');
      expectClose(grads.dKernel, numericGradient((v) => dot(r, depthwiseRef(x, v, bias, p)), kernel), tol, 'dKernel');
      expectClose(grads.dB, numericGradient((v) => dot(r, depthwiseRef(x, kernel, v, p)), bias), tol, 'dB');
    });
  }
});
