/**
 * The Conv2D layer's algorithms in a whole model: the same model and data trained a few steps
 * with every 3×3 stride-1 conv forced to Winograd F(2×2) or F(4×4) (forward, input and weight
 * gradients) and forced to im2col agree within float32 rounding; one SGD step with the weight
 * gradient by either Winograd, after each forward, moves the weights by the finite-difference
 * gradient.
 */
import { describe, expect, it } from 'vitest';
import { Sequential, layers, optimizers } from '../../src/index.js';
import type { ConvAlgorithm } from '../../src/kernels/conv-algorithm.js';
import { Conv2D, type ConvAlgorithmArg } from '../../src/nn/layers/conv2d.js';
import { referenceLoss } from '../../src/reference/model.js';
import { expectClose, numericGradient, randomFloats, testDevice } from '../helpers/gpu.js';

// Odd sizes (9×9 'valid' → 7×7, then 'same' 7×7: half tiles at the edges), channel counts that
// are and are not multiples of 4, a ReLU conv after a ReLU conv (the second one's input gradient
// applies the first one's ReLU backward), and one with a bias but no activation.
function model(algorithm: ConvAlgorithm): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: [9, 9, 2], algorithm }),
    layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu', algorithm }),
    layers.conv2d({ filters: 5, kernelSize: 3, algorithm }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.flatten(),
    layers.dense({ units: 10, activation: 'softmax' }),
  ]);
}

describe('Conv2D with Winograd against im2col, in a whole model', () => {
  it.each(['winograd', 'winograd4'] as const)('%s trains 4 steps to the same weights and losses as im2col within float32 tolerance', async (winogradAlgorithm) => {
    const device = await testDevice();
    const batch = 3;
    const steps = 4;
    const x = randomFloats(steps * batch * 9 * 9 * 2, 1, 0, 1);
    const labels = Uint8Array.from({ length: steps * batch }, (_, i) => (i * 7) % 10);
    const run = async (algorithm: ConvAlgorithm) => {
      const m = model(algorithm);
      await m.compile({ device, optimizer: optimizers.sgd({ learningRate: 0.1 }), seed: 5 });
      const losses: number[] = [];
      for (let s = 0; s < steps; s++) {
        const images = x.subarray(s * batch * 162, (s + 1) * batch * 162);
        losses.push((await m.trainOnBatch(images, labels.subarray(s * batch, (s + 1) * batch))).loss);
      }
      const weights = await m.getWeights();
      m.dispose();
      return { losses, weights };
    };
    const winograd = await run(winogradAlgorithm);
    const im2col = await run('im2col');
    // Both compute each conv output and input gradient in float32 with rounding errors of a few
    // hundred ulps of the sums' magnitude, F(4×4)'s about ten times im2col's
    // (test/kernels/winograd.test.ts derives Winograd's bounds; im2col's is smaller). Over 4 SGD steps at learning rate 0.1 the weights move by ~0.1 per
    // step, so their differences stay ~1e-5 of that, far below 1e-4; a wrong transform, a wrong
    // mask or a missing bias moves them by orders of magnitude more.
    expectClose(Float64Array.from(winograd.losses), Float64Array.from(im2col.losses), { atol: 1e-4, rtol: 1e-4 }, 'losses');
    expect(winograd.weights.length).toBe(im2col.weights.length);
    winograd.weights.forEach((w, i) => expectClose(w, im2col.weights[i], { atol: 1e-4, rtol: 1e-4 }, `weight ${i}`));
    // The training moved the weights: agreement is not that of two untouched initialisations.
    const fresh = model('im2col');
    await fresh.compile({ device, optimizer: 'sgd', seed: 5 });
    const initial = await fresh.getWeights();
    fresh.dispose();
    const moved = Math.max(...initial[0].map((v, i) => Math.abs(v - im2col.weights[0][i])));
    expect(moved).toBeGreaterThan(1e-3);
  });

  // Odd sizes again (7×5 'same': half tiles of dZ), the second conv's dW after its input's ReLU.
  const pairs = [
    ['im2col', 'winograd'],
    ['winograd', 'winograd'],
    ['winograd4', 'winograd4'],
    ['winograd', 'winograd4'],
  ] as const;
  for (const [forward, weightGradient] of pairs) {
    it(`one SGD step with the weight gradient by ${weightGradient} (after a forward by ${forward}) moves the weights by the finite-difference gradient`, async () => {
      const device = await testDevice();
      const algorithm: ConvAlgorithmArg = { forward, inputGradient: 'im2col', weightGradient };
      const model = new Sequential([
        layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [7, 5, 2], algorithm }),
        layers.conv2d({ filters: 5, kernelSize: 3, activation: 'tanh', algorithm }),
        layers.flatten(),
        layers.dense({ units: 4, activation: 'softmax' }),
      ]);
      // Plain SGD with learning rate 1: w_after = w_before − dLoss/dw exactly.
      await model.compile({ device, optimizer: optimizers.sgd({ learningRate: 1 }), seed: 5 });
      const batch = 3;
      const x = randomFloats(batch * 7 * 5 * 2, 21, 0, 1);
      const labels = [2, 0, 3];
      const before = await model.getWeights();
      await model.trainOnBatch(x, Uint8Array.from(labels));
      expect((model.layers[1] as Conv2D).algorithmsAt(batch)).toEqual({ forward, inputGradient: 'im2col', weightGradient });
      const after = await model.getWeights();
      const targets = new Float32Array(batch * 4);
      labels.forEach((l, i) => (targets[i * 4 + l] = 1));
      const w64 = before.map((w) => Float64Array.from(w));
      // The two conv kernels and biases (weights 0-3).
      for (let i = 0; i < 4; i++) {
        const gpuGradient = before[i].map((v, j) => v - after[i][j]);
        const numeric = numericGradient((wi) => {
          const all: ArrayLike<number>[] = w64.slice();
          all[i] = wi;
          return referenceLoss(model, all, x, targets, batch);
        }, w64[i]);
        // f32 forward/backward against float64 central differences (eps 1e-6), as test/nn/model.test.ts.
        expectClose(gpuGradient, numeric, { atol: 2e-6, rtol: 2e-3 }, `gradient of weight ${i}`);
      }
      model.dispose();
    });
  }

  it("'winograd' is refused for a layer it cannot run, naming the reason", () => {
    const conv = layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, inputShape: [9, 9, 1], algorithm: 'winograd' });
    expect(() => new Sequential([conv]).build()).toThrow(/algorithm 'winograd': Winograd needs stride 1 \(got 2×2\)/);
    expect(() => layers.conv2d({ filters: 4, kernelSize: 3, algorithm: 'fft' as ConvAlgorithm })).toThrow(/algorithm must be 'auto', 'im2col', 'winograd' or 'winograd4', got 'fft'/);
    const dW = layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, inputShape: [9, 9, 1], algorithm: { weightGradient: 'winograd4' } });
    expect(() => new Sequential([dW]).build()).toThrow(/algorithm 'winograd4': Winograd needs stride 1/);
    expect(() => layers.conv2d({ filters: 4, kernelSize: 3, algorithm: { weightGradient: 'fft' as ConvAlgorithm } })).toThrow(/algorithm.weightGradient must be 'auto', 'im2col', 'winograd' or 'winograd4', got 'fft'/);
    expect(() => layers.conv2d({ filters: 4, kernelSize: 3, algorithm: { backward: 'im2col' } as ConvAlgorithmArg })).toThrow(/algorithm's directions are forward, inputGradient, weightGradient, got 'backward'/);
  });
});
