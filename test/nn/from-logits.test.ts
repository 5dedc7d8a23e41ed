/**
 * A model whose last layer is linear, compiled with loss { name, fromLogits: true } (Keras'
 * from_logits=True): it trains exactly as the same model with a softmax output (the fused
 * softmax cross-entropy takes the same logits), predict returns its logits, and a .keras file
 * keeps the setting both ways.
 */
import { unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { Sequential, decodeKerasModel, encodeKerasModel, layers } from '../../src/index.js';
import { checkLossSpec } from '../../src/nn/loss.js';
import { softmaxRef } from '../../src/reference/softmax.js';
import { expectClose, randomFloats, testDevice } from '../helpers/gpu.js';

const x = randomFloats(5 * 36, 41, 0, 1); // (5, 6, 6, 1)
const y = Uint8Array.of(0, 2, 1, 2, 0);

function model(activation: 'softmax' | 'linear'): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: [6, 6, 1] }),
    layers.flatten(),
    layers.dense({ units: 3, activation }),
  ]);
}

describe('loss fromLogits', () => {
  it('trains bit for bit as the softmax model, and predict returns the logits', async () => {
    const device = await testDevice();
    const probabilities = model('softmax');
    await probabilities.compile({ device, optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', seed: 4 });
    const logits = model('linear');
    await logits.compile({ device, optimizer: 'adam', loss: { name: 'sparseCategoricalCrossentropy', fromLogits: true }, seed: 4 });
    expect(logits.trainingState().loss).toEqual({ name: 'sparseCategoricalCrossentropy', fromLogits: true, labelSmoothing: 0 });
    for (let step = 0; step < 3; step++) {
      expect(await logits.trainOnBatch(x, y)).toEqual(await probabilities.trainOnBatch(x, y));
    }
    const [a, b] = [await probabilities.getWeights(), await logits.getWeights()];
    a.forEach((w, i) => expect(Array.from(b[i])).toEqual(Array.from(w)));
    const out = await logits.predict(x);
    expectClose(Float32Array.from(softmaxRef(out, 5, 3)), await probabilities.predict(x), { atol: 1e-6 }, 'softmax of the logits');
    expect(Array.from(out).some((v) => v < 0 || v > 1)).toBe(true); // logits, not probabilities
    expect(await logits.evaluate(x, y)).toEqual(await probabilities.evaluate(x, y));
    probabilities.dispose();
    logits.dispose();
  });

  it('a .keras file records from_logits, and a model read from it compiles with it', async () => {
    const device = await testDevice();
    const m = model('linear');
    await m.compile({ device, optimizer: 'sgd', loss: { name: 'categoricalCrossentropy', fromLogits: true } });
    const bytes = await encodeKerasModel(m);
    const config = JSON.parse(new TextDecoder().decode(unzipSync(bytes)['config.json']));
    expect(config.compile_config.loss).toMatchObject({ class_name: 'CategoricalCrossentropy', config: { from_logits: true } });
    const read = decodeKerasModel(bytes, 'logits.keras');
    expect(read.initialState?.loss).toEqual({ name: 'categoricalCrossentropy', fromLogits: true, labelSmoothing: 0 });
    await read.compile({ device });
    expectClose(await read.predict(x), await m.predict(x), { atol: 0 }, 'the logits after the round trip');
    read.dispose();
    m.dispose();
  });

  it('refuses a linear output without fromLogits, and fromLogits on a softmax output, saying which to use', async () => {
    const device = await testDevice();
    await expect(model('linear').compile({ device, optimizer: 'sgd' })).rejects.toThrow(
      /categoricalCrossentropy needs a softmax output: give the last layer activation 'softmax' \(it has linear\), or compile with loss \{ name: 'categoricalCrossentropy', fromLogits: true \}/,
    );
    await expect(model('softmax').compile({ device, optimizer: 'sgd', loss: { name: 'categoricalCrossentropy', fromLogits: true } })).rejects.toThrow(
      /categoricalCrossentropy with fromLogits needs a linear last layer \(its outputs are the logits\); it has activation 'softmax'/,
    );
    await expect(model('linear').compile({ device, optimizer: 'sgd', loss: { name: 'categoricalCrossentropy', from_logits: true } as never })).rejects.toThrow(
      /loss: unknown option 'from_logits' \(a loss object takes name, fromLogits and labelSmoothing\)/,
    );
    await expect(model('linear').compile({ device, optimizer: 'sgd', loss: { name: 'categoricalCrossentropy', fromLogits: 'yes' } as never })).rejects.toThrow(/loss: fromLogits must be true or false, got "yes"/);
    await expect(model('linear').compile({ device, optimizer: 'sgd', loss: 7 as never })).rejects.toThrow(/loss must be a name or \{ name, fromLogits, labelSmoothing \}, got number/);
    // Keras' label smoothing: categorical cross-entropy's only, in [0, 1).
    expect(() => checkLossSpec({ name: 'sparseCategoricalCrossentropy', labelSmoothing: 0.1 })).toThrow("loss: labelSmoothing is categoricalCrossentropy's (Keras' sparse loss has none)");
    expect(() => checkLossSpec({ name: 'categoricalCrossentropy', labelSmoothing: 1 })).toThrow('loss: labelSmoothing must be a number in [0, 1), got 1');
    expect(checkLossSpec({ name: 'categoricalCrossentropy', labelSmoothing: 0.1 })).toEqual({ name: 'categoricalCrossentropy', fromLogits: false, labelSmoothing: 0.1 });
  });
});

