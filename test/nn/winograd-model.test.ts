/**
 * The Conv2D layer's two algorithms in a whole model: the same model and data trained a few
 * steps with every 3×3 stride-1 conv forced to Winograd and forced to im2col agree within
 * float32 rounding; and 'auto' picks through the tuner's cache.
 */
import { describe, expect, it } from 'vitest';
import { Sequential, layers, optimizers } from '../../src/index.js';
import type { ConvAlgorithm } from '../../src/kernels/conv-algorithm.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

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
  it('trains 4 steps to the same weights and losses within float32 tolerance', async () => {
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
    const winograd = await run('winograd');
    const im2col = await run('im2col');
    // Both compute each conv output and input gradient in float32 with rounding errors of a few
    // hundred ulps of the sums' magnitude (test/kernels/winograd.test.ts derives Winograd's bound;
    // im2col's is smaller). Over 4 SGD steps at learning rate 0.1 the weights move by ~0.1 per
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

  it("'winograd' is refused for a layer it cannot run, naming the reason", () => {
    const conv = layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, inputShape: [9, 9, 1], algorithm: 'winograd' });
    expect(() => new Sequential([conv]).build()).toThrow(/algorithm 'winograd': Winograd F\(2×2, 3×3\) needs stride 1 \(got 2×2\)/);
    expect(() => layers.conv2d({ filters: 4, kernelSize: 3, algorithm: 'fft' as ConvAlgorithm })).toThrow(/algorithm must be 'auto', 'im2col' or 'winograd', got 'fft'/);
  });
});
