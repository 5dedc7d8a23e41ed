/**
 * Frozen layers (`trainable: false`, Keras' layer.trainable = False): their weights are used but
 * not trained, by any convolution algorithm; a frozen layer's regularizer adds nothing to the
 * loss (Keras 3 regularizes trainable weights only); a model with nothing left to train is refused.
 * Against Keras itself: test/io/keras-file-fixtures.test.ts (frozen.keras).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Sequential, layers, optimizers } from '../../src/index.js';
import { saveWeights } from '../../src/io/files.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

const INPUT = [8, 8, 2];
const x = randomFloats(4 * 8 * 8 * 2, 3, 0, 1);
const y = Uint8Array.of(0, 1, 2, 1);

describe('frozen layers', () => {
  for (const algorithm of ['im2col', 'winograd', 'winograd4'] as const) {
    it(`a frozen Conv2D (${algorithm}) keeps its weights bit for bit, and passes the gradient on to the layer before it`, async () => {
      const model = new Sequential([
        layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: INPUT, algorithm }),
        layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', trainable: false, algorithm }),
        layers.flatten(),
        layers.dense({ units: 3, activation: 'softmax' }),
      ]);
      await model.compile({ device: await testDevice(), optimizer: 'adam' });
      const before = await model.getWeights();
      for (let step = 0; step < 3; step++) await model.trainOnBatch(x, y);
      const after = await model.getWeights();
      expect(after.slice(2, 4)).toEqual(before.slice(2, 4));
      for (const i of [0, 1, 4, 5]) expect(after[i].some((v, j) => v !== before[i][j]), `weight ${i} trained`).toBe(true);
      expect(model.summary()).toMatch(/Non-trainable params: 148\b/); // 3·3·4·4 + 4
      model.dispose();
    });
  }

  for (const algorithm of ['im2col', 'winograd', 'winograd4'] as const) {
    it(`frozen layers at the input (${algorithm}) record no backward, and the layers after them take the step they take when the input layers train`, async () => {
      const device = await testDevice();
      const build = (trainable: boolean) =>
        new Sequential([
          layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', inputShape: INPUT, trainable, algorithm }),
          layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', trainable, algorithm }),
          layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', algorithm }),
          layers.flatten(),
          layers.dense({ units: 3, activation: 'softmax' }),
        ]);
      const [frozen, trained] = [build(false), build(true)];
      await frozen.compile({ device, optimizer: optimizers.sgd({ learningRate: 0.1 }) });
      await trained.compile({ device, optimizer: optimizers.sgd({ learningRate: 0.1 }) });
      const before = await frozen.getWeights();
      trained.setWeights(before);
      // Input gradients: the Dense layer's and the last convolution's, none before it; none from the first trained layer.
      const inputGradients = async (model: Sequential) => (await model.compiledStep('train', 4)).dispatches.map((d) => d.label).filter((label) => /\bdX\b|col2im/.test(label));
      expect((await inputGradients(frozen)).every((label) => label.startsWith('dense')), (await inputGradients(frozen)).join(', ')).toBe(true);
      expect((await inputGradients(trained)).some((label) => label.startsWith('conv2d_1')), (await inputGradients(trained)).join(', ')).toBe(true);
      await frozen.trainOnBatch(x, y);
      await trained.trainOnBatch(x, y);
      const [afterFrozen, afterTrained] = [await frozen.getWeights(), await trained.getWeights()];
      expect(afterFrozen.slice(0, 4)).toEqual(before.slice(0, 4));
      expect(afterTrained[0].some((v, j) => v !== before[0][j]), 'the trainable twin moves its first kernel').toBe(true);
      // A first step's update of the later layers does not depend on whether the earlier ones train.
      afterFrozen.slice(4).forEach((w, i) => expectClose(w, afterTrained[4 + i], { atol: 1e-6 }, `weight ${4 + i}`));
      for (const m of [frozen, trained]) m.dispose();
    });
  }

  it("a frozen layer's regularizer adds nothing to the loss, as in Keras 3", async () => {
    const build = (kernelRegularizer?: { l2: number }) =>
      new Sequential([layers.flatten({ inputShape: INPUT }), layers.dense({ units: 5, activation: 'relu', trainable: false, kernelRegularizer }), layers.dense({ units: 3, activation: 'softmax' })]);
    const device = await testDevice();
    const plain = build();
    const regularized = build({ l2: 10 });
    await plain.compile({ device, optimizer: 'sgd' });
    await regularized.compile({ device, optimizer: 'sgd' });
    regularized.setWeights(await plain.getWeights());
    const [a, b] = [await plain.evaluate(x, y), await regularized.evaluate(x, y)];
    expect(b.loss).toBe(a.loss);
    plain.dispose();
    regularized.dispose();
  });

  it('a model whose every weight is frozen is refused at compile, saying so', async () => {
    const model = new Sequential([layers.flatten({ inputShape: INPUT }), layers.dense({ units: 3, activation: 'softmax', trainable: false })]);
    await expect(model.compile({ device: await testDevice(), optimizer: 'sgd' })).rejects.toThrow(/every layer with weights is frozen \(trainable: false\)/);
  });

  it('TF.js reads the frozen layers as frozen', async () => {
    const model = new Sequential([layers.conv2d({ filters: 2, kernelSize: 3, inputShape: INPUT, trainable: false }), layers.flatten({ trainable: false }), layers.dense({ units: 3, activation: 'softmax' })]);
    await model.compile({ device: await testDevice(), optimizer: 'sgd' });
    const path = join(mkdtempSync(join(tmpdir(), 'webgpu-dl-frozen-')), 'model.json');
    await saveWeights(model, path);
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(JSON.parse(readFileSync(path, 'utf8')).modelTopology));
    expect(loaded.layers.map((l) => l.trainable)).toEqual([false, false, true]);
    expect(loaded.trainableWeights.map((w) => w.name.split('/').at(-1))).toEqual(['kernel', 'bias']);
    loaded.dispose();
    model.dispose();
  });
});
