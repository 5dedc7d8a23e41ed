/**
 * bench/shapes.ts derives every kernel call of a preset's training step from its layers; here
 * each preset's real compiled step (batch 2, untimed kernel choices) is paired with that list
 * call by call, so the mirror cannot drift from the layers' fusion rules unnoticed. The ReLU
 * backwards that no kernel fuses are counted by hand from each preset's layers.
 */
import { describe, expect, it } from 'vitest';
import { trainingKernels } from '../bench/shapes.js';
import { pairDispatches } from '../bench/training.js';
import { presets } from '../src/index.js';
import { resolveOptimizer } from '../src/nn/optimizers.js';
import { testDevice } from './helpers/gpu.js';

/**
 * Separate ReLU backward passes per step. Fused: a conv's ReLU into the max pool or the conv
 * after it (col2im), a Dense's into the Dense after it (its dX matmul's mask), through Flatten
 * and Dropout. Left: the ReLU of a conv followed by BatchNormalization (mnist-bn, twice).
 */
const separateReluBackwards: Record<string, number> = {
  'mnist-conv3': 0,
  'mnist-cnn': 0,
  'mnist-conv5': 0,
  'mnist-bn': 2,
};

describe('bench/shapes.ts against the compiled training steps', () => {
  for (const name of Object.keys(separateReluBackwards)) {
    it(`${name}: one derived kernel call per compiled dispatch group, and ${separateReluBackwards[name]} separate ReLU backwards`, async () => {
      const device = await testDevice();
      const preset = presets[name]();
      await preset.model.compile({ device, optimizer: preset.optimizer, seed: 1 });
      const batch = 2;
      const step = await preset.model.compiledStep('train', batch);
      const kernels = trainingKernels(preset.model, resolveOptimizer(preset.optimizer).kind, batch, name);
      expect(pairDispatches(step.dispatches, kernels), step.dispatches.map((d) => d.label).join('\n')).toBeDefined();
      expect(step.dispatches.filter((d) => d.label.startsWith('relu backward')).length).toBe(separateReluBackwards[name]);
      expect(kernels.filter((k) => k.spec.family === 'activation backward').length).toBe(separateReluBackwards[name]);
      preset.model.dispose();
    }, 120_000);
  }
});
