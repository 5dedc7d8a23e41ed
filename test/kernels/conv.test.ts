import { describe, expect, it } from 'vitest';
import { col2im, im2col, im2colCandidates, type ConvParams } from '../../src/kernels/im2col.js';
import { convGeometry, windowKey, type ConvSpec } from '../../src/kernels/window.js';
import { col2imRef, colWidth, conv2dBackwardRef, conv2dRef, im2colRef } from '../../src/reference/conv.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { activationForwardRef } from '../../src/reference/activation.js';
import { dot, expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

const F32_EPS = 2 ** -24; // unit roundoff of float32
const F64_EPS = 2 ** -53; // unit roundoff of float64

function params(spec: ConvSpec, batch: number, channels: number): ConvParams {
  return { ...convGeometry(spec), batch, channels };
}

const conv = (height: number, width: number, kernel: [number, number], stride: [number, number], padding: 'valid' | 'same', dilation: [number, number] = [1, 1]): ConvSpec => ({
  height,
  width,
  kernelH: kernel[0],
  kernelW: kernel[1],
  strideH: stride[0],
  strideW: stride[1],
  padding,
  dilationH: dilation[0],
  dilationW: dilation[1],
});

// Kernels 1×1, 2×2, 3×3, 5×5 and non-square; strides 1 and 2 (and 3, past the kernel, so some
// pixels lie in no window); 'same' with an odd extra row/column of padding; batch 1 and 3;
// channels 1, 3, 5 (one channel per invocation) and 4, 8 (the vec4 form); dilated windows
// (Keras' dilation_rate; unequal, with 'same', with the four-values form, and with a stride,
// which Keras' layer refuses but the kernels define); one MNIST-sized layer (the second conv
// of the Keras mnist_cnn).
const cases: ConvParams[] = [
  params(conv(9, 10, [3, 3], [1, 1], 'valid', [2, 3]), 2, 3),
  params(conv(8, 7, [3, 2], [1, 1], 'same', [2, 2]), 1, 4),
  params(conv(7, 9, [2, 2], [1, 1], 'same', [3, 2]), 3, 1),
  params(conv(9, 8, [3, 3], [2, 2], 'same', [2, 2]), 1, 2),
  params(conv(5, 5, [1, 1], [1, 1], 'valid'), 1, 1),
  params(conv(7, 6, [2, 2], [2, 2], 'same'), 3, 3), // H: pad 0 top, 1 bottom
  params(conv(8, 7, [3, 3], [1, 1], 'same'), 1, 5),
  params(conv(9, 8, [3, 3], [2, 2], 'same'), 3, 3), // W: pad 0 left, 1 right
  params(conv(9, 7, [5, 5], [2, 2], 'valid'), 1, 5),
  params(conv(6, 7, [5, 5], [1, 1], 'same'), 3, 1),
  params(conv(6, 6, [2, 3], [2, 1], 'same'), 1, 3),
  params(conv(7, 8, [2, 2], [3, 3], 'valid'), 3, 1),
  params(conv(7, 6, [2, 2], [2, 2], 'same'), 3, 4),
  params(conv(9, 8, [3, 3], [2, 2], 'same'), 1, 8),
  params(conv(6, 7, [5, 5], [1, 1], 'same'), 2, 4),
  params(conv(7, 8, [1, 1], [3, 3], 'valid'), 1, 4),
  params(conv(26, 26, [3, 3], [1, 1], 'valid'), 2, 32),
];

const describeCase = (p: ConvParams) => `N${p.batch} ${p.height}×${p.width}×${p.channels} ${windowKey(p)}`;

/** a: (rows, inner) × b: (inner, cols) in float64. */
function matmul(a: ArrayLike<number>, b: ArrayLike<number>, rows: number, inner: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < inner; i++) {
      const v = a[r * inner + i];
      for (let c = 0; c < cols; c++) out[r * cols + c] += v * b[i * cols + c];
    }
  }
  return out;
}

function transpose(a: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c];
  return out;
}

describe('convGeometry follows Keras/TF', () => {
  // Expected values worked out by hand from TF's formulas; a dilated window spans
  // (kernel - 1)·dilation + 1 positions (Keras: (9, 10) under a 3×3 kernel dilated (2, 3),
  // 'valid', gives (5, 4)).
  it.each([
    // [size, kernel, stride, dilation, padding, out, padBefore, padAfter]
    [28, 3, 1, 1, 'valid', 26, 0, 0],
    [28, 3, 1, 1, 'same', 28, 1, 1],
    [7, 2, 2, 1, 'same', 4, 0, 1],
    [6, 2, 2, 1, 'same', 3, 0, 0],
    [8, 3, 2, 1, 'same', 4, 0, 1],
    [6, 4, 1, 1, 'same', 6, 1, 2],
    [9, 5, 2, 1, 'valid', 3, 0, 0],
    [7, 1, 3, 1, 'same', 3, 0, 0],
    [13, 6, 5, 1, 'valid', 2, 0, 0], // TF's documented example: VALID drops the last columns,
    [13, 6, 5, 1, 'same', 3, 1, 2], //   SAME pads 1 before and 2 after.
    [3, 3, 1, 1, 'valid', 1, 0, 0],
    [2, 5, 1, 1, 'same', 2, 2, 2],
    [9, 3, 1, 2, 'valid', 5, 0, 0],
    [10, 3, 1, 3, 'valid', 4, 0, 0],
    [9, 3, 1, 2, 'same', 9, 2, 2],
    [8, 2, 1, 3, 'same', 8, 1, 2],
    [7, 3, 1, 3, 'same', 7, 3, 3],
  ] as const)('size %i kernel %i stride %i dilation %i %s → %i (pad %i, %i)', (size, kernel, stride, dilation, padding, out, before, after) => {
    const g = convGeometry(conv(size, 5, [kernel, 1], [stride, 1], padding, [dilation, 1]));
    expect([g.outH, g.padTop, g.padBottom]).toEqual([out, before, after]);
    const t = convGeometry(conv(5, size, [1, kernel], [1, stride], padding, [1, dilation]));
    expect([t.outW, t.padLeft, t.padRight]).toEqual([out, before, after]);
  });

  it('rejects a kernel larger than its input under valid padding, and nonsense sizes', () => {
    expect(() => convGeometry(conv(8, 9, [3, 3], [1, 1], 'valid', [4, 1]))).toThrow(/height: a window of 9 \(3 taps 4 apart\) does not fit an input of 8/);
    expect(() => convGeometry(conv(9, 9, [3, 3], [1, 1], 'same', [1, 0]))).toThrow(/width: dilation must be a positive integer, got 0/);
    expect(() => convGeometry(conv(4, 9, [5, 3], [1, 1], 'valid'))).toThrow(/height: a window of 5 does not fit an input of 4/);
    expect(() => convGeometry(conv(9, 2, [3, 3], [1, 1], 'valid'))).toThrow(/width: a window of 3 does not fit an input of 2/);
    expect(() => convGeometry(conv(9, 9, [3, 3], [0, 1], 'same'))).toThrow(/stride must be a positive integer/);
    expect(() => convGeometry(conv(9, 9, [3, 3], [1, 1], 'full' as 'same'))).toThrow(/padding must be 'valid' or 'same'/);
  });
});

describe('convolution references (float64)', () => {
  for (const [index, p] of cases.slice(0, -1).entries()) {
    it(`col2im is the adjoint of im2col; direct conv agrees with im2col × W (${describeCase(p)})`, () => {
      const rows = p.batch * p.outH * p.outW;
      const k = colWidth(p);
      const cout = 2;
      const x = randomFloats(p.batch * p.height * p.width * p.channels, 10 + index);
      const c = randomFloats(rows * k, 20 + index);
      // <im2col(x), c> = <x, col2im(c)>
      const lhs = dot(im2colRef(x, p), c);
      const rhs = dot(x, col2imRef(c, p));
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)));

      // Float64 sums of at most k + 1 terms of magnitude ≤ 1 in different orders: each rounding
      // is at most 2⁻⁵³ times a partial sum bounded by k + 1.
      const tol = { atol: (k + 1) ** 2 * F64_EPS };
      // Forward: the direct convolution equals col × W + bias.
      const w = randomFloats(k * cout, 30 + index);
      const bias = randomFloats(cout, 40 + index);
      const col = im2colRef(x, p);
      const viaCol = matmul(col, w, rows, k, cout).map((v, i) => v + bias[i % cout]);
      expectClose(conv2dRef(x, w, bias, p), viaCol, tol, 'conv2dRef vs im2col × W');

      // Backward: direct gradients equal dW = colᵀ × dY, dX = col2im(dY × Wᵀ), dB = Σ dY
      // (sums over up to `rows` terms, in different orders).
      const backwardTol = { atol: (rows + k) ** 2 * F64_EPS };
      const dY = randomFloats(rows * cout, 50 + index);
      const grads = conv2dBackwardRef(x, w, dY, p);
      expectClose(grads.dW, matmul(transpose(col, rows, k), dY, k, rows, cout), backwardTol, 'dW');
      expectClose(grads.dX, col2imRef(matmul(dY, transpose(w, k, cout), rows, cout, k), p), backwardTol, 'dX');
      const dB = new Float64Array(cout);
      dY.forEach((v, i) => (dB[i % cout] += v));
      expectClose(grads.dB, dB, backwardTol, 'dB');
    });
  }

  // Small shapes: the finite differences evaluate the whole convolution twice per input.
  for (const p of [
    params(conv(5, 4, [3, 3], [1, 1], 'same'), 2, 2),
    params(conv(7, 6, [2, 2], [2, 2], 'same'), 1, 3),
    params(conv(6, 5, [3, 2], [2, 2], 'valid'), 2, 1),
    params(conv(7, 6, [3, 2], [1, 1], 'same', [2, 3]), 1, 2),
  ]) {
    it(`conv2dBackwardRef matches finite differences (${describeCase(p)})`, () => {
      const cout = 3;
      const x = Float64Array.from(randomFloats(p.batch * p.height * p.width * p.channels, 1));
      const w = Float64Array.from(randomFloats(colWidth(p) * cout, 2));
      const bias = Float64Array.from(randomFloats(cout, 3));
      const r = randomFloats(p.batch * p.outH * p.outW * cout, 4);
      const grads = conv2dBackwardRef(x, w, r, p);
      // The loss is linear in each argument, so central differences are exact up to rounding.
      const tol = { atol: 1e-8 };
      expectClose(grads.dX, numericGradient((v) => dot(r, conv2dRef(v, w, bias, p)), x), tol, 'dX');
      expectClose(grads.dW, numericGradient((v) => dot(r, conv2dRef(x, v, bias, p)), w), tol, 'dW');
      expectClose(grads.dB, numericGradient((v) => dot(r, conv2dRef(x, w, v, p)), bias), tol, 'dB');
    });
  }
});

describe('col2im with the ReLU backward fused (the input is a ReLU output)', () => {
  for (const [index, p] of cases.slice(0, -1).entries()) {
    it(`the gradient of conv(relu(z)) matches finite differences (${describeCase(p)})`, () => {
      const rows = p.batch * p.outH * p.outW;
      const k = colWidth(p);
      const cout = 2;
      // No z within the 1e-6 step of ReLU's kink at 0.
      const z = Float64Array.from(randomFloats(p.batch * p.height * p.width * p.channels, 60 + index), (v) => (Math.abs(v) < 1e-3 ? v + 2e-3 : v));
      const w = randomFloats(k * cout, 70 + index);
      const r = randomFloats(rows * cout, 80 + index);
      const numeric = numericGradient((v) => dot(r, conv2dRef(activationForwardRef('relu', v), w, null, p)), z);
      const dCol = matmul(r, transpose(w, k, cout), rows, cout, k);
      expectClose(col2imRef(dCol, p, activationForwardRef('relu', z)), numeric, { atol: 1e-8 }, 'd relu input');
    });
  }
});

describe('im2col and col2im kernels vs float64 reference', () => {
  for (const [index, p] of cases.entries()) {
    it(describeCase(p), async () => {
      const device = await testDevice();
      const rows = p.batch * p.outH * p.outW;
      const k = colWidth(p);
      const xCount = p.batch * p.height * p.width * p.channels;
      const x = randomFloats(xCount, 100 + index);
      const dCol = randomFloats(rows * k, 200 + index);
      const xBuf = device.upload('x', x); // (N, H, W, C)
      const colBuf = device.createBuffer('col', rows * k * 4); // (N*OH*OW, KH*KW*C)
      const dColBuf = device.upload('dCol', dCol); // (N*OH*OW, KH*KW*C)
      // dX starts as garbage, to show col2im writes every element.
      const dXBuf = device.upload('dX', new Float32Array(xCount).fill(Number.NaN)); // (N, H, W, C)
      const maskedDXBuf = device.upload('masked dX', new Float32Array(xCount).fill(Number.NaN)); // (N, H, W, C)
      // x as a ReLU's output would be (about half 0), for the masked col2im.
      const reluX = Float32Array.from(x, (v) => Math.max(v, 0));
      const reluXBuf = device.upload('relu x', reluX); // (N, H, W, C)
      await runDispatches(device, [
        await col2im(device, p, { dCol: dColBuf, dX: dXBuf }),
        await col2im(device, p, { dCol: dColBuf, dX: maskedDXBuf, reluOutput: reluXBuf }),
      ]);

      // im2col only copies values and writes zeros: exact, with every candidate that can run
      // the shape (col starts as NaN each time, to show every element is written).
      const candidates = im2colCandidates(p);
      expect(candidates).toEqual(p.channels % 4 !== 0 && k % 4 === 0 ? ['chunks', 'fours'] : ['chunks']);
      let col: Float32Array = new Float32Array(0);
      for (const kernel of candidates) {
        device.gpu.queue.writeBuffer(colBuf, 0, new Float32Array(rows * k).fill(Number.NaN));
        await runDispatches(device, [await im2col(device, p, { x: xBuf, col: colBuf }, kernel)]);
        col = await device.readFloats(colBuf, 0, rows * k);
        expectClose(col, im2colRef(x, p), { atol: 0 }, `col (${kernel})`);
      }
      // The GPU's col times a HWIO kernel (in float64) is the direct convolution. Both sum the same
      // products in the same (kh, kw, c) order, col adding exact zeros for the padding.
      const cout = 3;
      const w = randomFloats(k * cout, 300 + index);
      expectClose(matmul(col, w, rows, k, cout), conv2dRef(x, w, null, p), { atol: k * k * F64_EPS }, 'GPU col × W vs conv2dRef');

      // col2im sums at most KH*KW values in [-1, 1] in float32: each of the additions rounds by at
      // most 2⁻²⁴ times a partial sum bounded by KH*KW.
      const taps = p.kernelH * p.kernelW;
      const dX = await device.readFloats(dXBuf, 0, xCount);
      expectClose(dX, col2imRef(dCol, p), { atol: taps * taps * F32_EPS }, 'dX');
      const maskedDX = await device.readFloats(maskedDXBuf, 0, xCount);
      expect(maskedDX.filter((v) => v === 0).length).toBeGreaterThan(xCount / 4); // the mask did cut
      expectClose(maskedDX, col2imRef(dCol, p, reluX), { atol: taps * taps * F32_EPS }, 'masked dX');
      for (const b of [xBuf, colBuf, dColBuf, dXBuf, maskedDXBuf, reluXBuf]) b.destroy();
    });
  }
});
