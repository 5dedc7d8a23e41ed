/**
 * bench/shapes.ts derives every kernel call of a preset's training step from its layers; here
 * each preset's real compiled step (batch 2, untimed kernel choices) is paired with that list
 * call by call, so the mirror cannot drift from the layers' fusion rules unnoticed. The ReLU
 * backwards that no kernel fuses are counted by hand from each preset's layers.
 */
import { describe, expect, it } from 'vitest';
import { describe as describeCall } from '../bench/kernels.js';
import { trainingKernels } from '../bench/shapes.js';
import { pairDispatches } from '../bench/training.js';
import { presets } from '../src/index.js';
import { Conv2D } from '../src/nn/layers/conv2d.js';
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

  it.each([
    ['winograd', 16],
    ['winograd4', 36],
  ] as const)('mnist-cnn with %s convolutions (forced): the calls as compiled pair with the step, each Winograd stage by its name', async (algorithm, positions) => {
    const device = await testDevice();
    const preset = presets['mnist-cnn']();
    const convs = preset.model.layers.filter((l): l is Conv2D => l instanceof Conv2D);
    for (const conv of convs) conv.algorithm = algorithm;
    await preset.model.compile({ device, optimizer: preset.optimizer, seed: 1 });
    const batch = 2;
    const step = await preset.model.compiledStep('train', batch);
    const kind = resolveOptimizer(preset.optimizer).kind;
    const compiled = trainingKernels(preset.model, kind, batch, 'mnist-cnn', (layer) => layer.algorithmsAt(batch));
    const owners = pairDispatches(step.dispatches, compiled);
    expect(owners, step.dispatches.map((d) => d.label).join('\n')).toBeDefined();
    // The nominal (im2col) form does not pair with this step.
    expect(pairDispatches(step.dispatches, trainingKernels(preset.model, kind, batch, 'mnist-cnn'))).toBeUndefined();
    // Both layers' forwards and conv2d_1's input gradient (the first layer has none) by Winograd,
    // 3 × 4 stages; both weight gradients from the forwards' V, 2 × 3 (dZ transform, products, output).
    const names = owners!.map((k, i) => [step.dispatches[i].label, describeCall(k.spec, k.use).name]);
    const stages = names.filter(([label]) => label.includes('winograd'));
    expect(stages.length).toBe(18);
    for (const [label, name] of stages) {
      const stage = /(weight|input|gradient|dW output|output) transform|products/.exec(label)![0];
      expect(name, label).toBe(stage === 'products' ? (label.includes('dW') ? `matmul Aᵀ batched ×${positions}` : `matmul batched ×${positions}`) : `winograd ${stage}`);
    }
    expect(names.filter(([label]) => label.includes('winograd dW')).length).toBe(6);
    // The weight gradients read the forwards' V: no im2col, no input transform of their own.
    expect(names.filter(([label, name]) => name === 'im2col' || (label.includes('dW') && name === 'winograd input transform')).length).toBe(0);
    preset.model.dispose();
  }, 120_000);

  it('mnist-cnn with only the weight gradients by Winograd: each transforms its input itself, and the calls pair with the step', async () => {
    const device = await testDevice();
    const preset = presets['mnist-cnn']();
    for (const conv of preset.model.layers.filter((l): l is Conv2D => l instanceof Conv2D)) conv.algorithm = { forward: 'im2col', inputGradient: 'im2col', weightGradient: 'winograd' };
    await preset.model.compile({ device, optimizer: preset.optimizer, seed: 1 });
    const batch = 2;
    const step = await preset.model.compiledStep('train', batch);
    const compiled = trainingKernels(preset.model, resolveOptimizer(preset.optimizer).kind, batch, 'mnist-cnn', (layer) => layer.algorithmsAt(batch));
    const owners = pairDispatches(step.dispatches, compiled);
    expect(owners, step.dispatches.map((d) => d.label).join('\n')).toBeDefined();
    const names = owners!.map((k, i) => [step.dispatches[i].label, describeCall(k.spec, k.use).name]);
    // Per layer: input transform, dZ transform, products, output transform.
    expect(names.filter(([label]) => label.includes('winograd dW')).map(([, name]) => name)).toEqual(
      Array.from({ length: 2 }, () => ['winograd input transform', 'winograd gradient transform', 'matmul Aᵀ batched ×16', 'winograd dW output transform']).flat(),
    );
    preset.model.dispose();
  }, 120_000);
});
