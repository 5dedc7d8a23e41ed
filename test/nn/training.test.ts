/**
 * Training behaviour: a compiled step allocates nothing and submits once; bad input is a
 * clear error that leaves the model usable; fit learns MNIST.
 */
import { describe, expect, it } from 'vitest';
import { Sequential, layers, loadMnist, optimizers } from '../../src/index.js';
import type { ConvAlgorithm } from '../../src/kernels/conv-algorithm.js';
import { testDevice } from '../helpers/gpu.js';

function smallCnn(algorithm: ConvAlgorithm | 'auto' = 'auto'): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 8, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1], algorithm }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', algorithm }),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.dropout({ rate: 0.25 }),
    layers.flatten(),
    layers.dense({ units: 64, activation: 'relu' }),
    layers.dense({ units: 10, activation: 'softmax' }),
  ]);
}

describe('training', () => {
  // The convs as the tuner leaves them (im2col with tuning off), and forced to either Winograd.
  it.each(['auto', 'winograd', 'winograd4'] as const)('a training step creates no buffer, bind group or pipeline and submits once (convs: %s)', async (algorithm) => {
    const device = await testDevice();
    const model = smallCnn(algorithm);
    await model.compile({ device, optimizer: 'adam', seed: 2 });
    const mnist = await loadMnist({ limit: 320, testLimit: 1 });
    const batch = 32;
    const x = mnist.train.images.subarray(0, batch * 784);
    const y = mnist.train.labels.subarray(0, batch);
    await model.trainOnBatch(x, y); // compiles the step for this batch size

    // Count every call that would allocate or create, and every submit, during fit.
    const counts = { createBuffer: 0, createBindGroup: 0, createComputePipeline: 0, createComputePipelineAsync: 0, createShaderModule: 0, submit: 0 };
    type Methods = Record<string, (...args: unknown[]) => unknown>;
    const restore: (() => void)[] = [];
    for (const name of Object.keys(counts) as (keyof typeof counts)[]) {
      const target = (name === 'submit' ? device.gpu.queue : device.gpu) as unknown as Methods;
      const original = target[name];
      target[name] = (...args: unknown[]) => {
        counts[name]++;
        return original.apply(target, args);
      };
      restore.push(() => (target[name] = original));
    }
    try {
      // fit reads the metrics back only at the end of the epoch here: 10 steps of 32.
      await model.fit(mnist.train.images, mnist.train.labels, { batchSize: batch, epochs: 1, verbose: 0, progressEvery: 1000 });
    } finally {
      for (const undo of restore) undo();
    }
    // Per fit, not per step: the NaN guard's backups (3 slots of params, stats and optimizer
    // state: 9 buffers) and the device-loss snapshots, at the start and after the epoch (a
    // staging buffer and a submit each).
    expect(counts).toEqual({ createBuffer: 9 + 2, createBindGroup: 0, createComputePipeline: 0, createComputePipelineAsync: 0, createShaderModule: 0, submit: 10 + 2 });
    model.dispose();
  });

  it('a compiled step owns every buffer it creates, kernel scratch included: destroy() frees them all', async () => {
    const device = await testDevice();
    const model = smallCnn();
    await model.compile({ device, optimizer: 'adam', seed: 2 });
    const created: GPUBuffer[] = [];
    const destroyed = new Set<GPUBuffer>();
    const gpu = device.gpu as unknown as { createBuffer(d: GPUBufferDescriptor): GPUBuffer };
    const original = gpu.createBuffer;
    gpu.createBuffer = (descriptor: GPUBufferDescriptor) => {
      const buffer = original.call(device.gpu, descriptor);
      const destroy = buffer.destroy.bind(buffer);
      buffer.destroy = () => {
        destroyed.add(buffer);
        destroy();
      };
      created.push(buffer);
      return buffer;
    };
    let step;
    try {
      // Batch 96: the first conv's weight gradient is split along K, so the step has split-K,
      // column-sum and cross-entropy scratch.
      step = await model.compiledStep('train', 96);
    } finally {
      gpu.createBuffer = original;
    }
    const labels = created.map((b) => b.label);
    for (const scratch of [/split-K partials/, /column sum partials/, /cross-entropy partials/]) expect(labels.some((l) => scratch.test(l)), String(scratch)).toBe(true);
    step.destroy();
    expect(created.filter((b) => !destroyed.has(b)).map((b) => b.label)).toEqual([]);
    model.dispose();
  });

  it('bad input is a clear error and leaves the model usable', async () => {
    const device = await testDevice();
    const model = smallCnn();
    const x = new Float32Array(2 * 784).fill(0.5);
    const y = Uint8Array.of(1, 2);
    await expect(model.fit(x, y)).rejects.toThrow(/not compiled/);
    await model.compile({ device, optimizer: optimizers.sgd({ learningRate: 0.1 }) });
    await expect(model.trainOnBatch(new Float32Array(783), Uint8Array.of(1))).rejects.toThrow(/not a whole number of samples/);
    await expect(model.trainOnBatch(x, Uint8Array.of(1, 10))).rejects.toThrow(/label 10 of sample 1 is outside the 10 classes/);
    await expect(model.trainOnBatch(x, Uint8Array.of(1))).rejects.toThrow(/1 labels for 2 samples/);
    const withNaN = x.slice();
    withNaN[900] = NaN;
    await expect(model.trainOnBatch(withNaN, y)).rejects.toThrow(/NaN at index 900 \(sample 1\)/);
    await expect(model.fit(x, y, { validationSplit: 1.5 })).rejects.toThrow(/validationSplit/);
    // Still usable: a real step runs and gives a finite loss.
    const result = await model.trainOnBatch(x, y);
    expect(Number.isFinite(result.loss)).toBe(true);
    model.dispose();
  });

  it('a layer that cannot follow the previous shape is an error naming it, and so is an output that is not one vector per sample', () => {
    // Dense on images works along the channels, as in Keras; as the output it gives no class scores.
    const model = new Sequential([layers.conv2d({ filters: 4, kernelSize: 3, inputShape: [28, 28, 1] }), layers.dense({ units: 10, activation: 'softmax' })]);
    expect(() => model.summary()).toThrow("the model's output must be flat [classes], got [26,26,10]: end with Flatten and Dense");
    const tooSmall = new Sequential([layers.conv2d({ filters: 4, kernelSize: 5, inputShape: [3, 3, 1] })]);
    expect(() => tooSmall.summary()).toThrow(/Conv2D layer 'conv2d'.*does not fit/);
    expect(() => layers.dense({ units: 0 })).toThrow(/units must be a positive integer/);
  });

  it('fit on 2,000 MNIST images reaches 90% on 1,000 test images', async () => {
    const device = await testDevice();
    const mnist = await loadMnist({ limit: 2000, testLimit: 1000 });
    const model = smallCnn();
    await model.compile({ device, optimizer: 'adam', seed: 1 });
    const history = await model.fit(mnist.train.images, mnist.train.labels, { batchSize: 32, epochs: 6, verbose: 0 });
    expect(history.history.loss[5]).toBeLessThan(history.history.loss[0]);
    const test = await model.evaluate(mnist.test.images, mnist.test.labels, { batchSize: 100 });
    expect(test.accuracy).toBeGreaterThanOrEqual(0.9);
    model.dispose();
  }, 600_000);
});
