/**
 * A device lost in the middle of fit (destroyed from a callback, as a driver reset or a
 * browser would) is replaced: fit rebuilds the model on a new device, restores the snapshot
 * of the epoch's start and repeats the epoch, ending with the weights an uninterrupted run
 * gets. A second loss right after gives up with a clear error.
 * A device its owner destroyed is no such loss: every later use throws an error saying so.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDevice, presets, type Sequential } from '../../src/index.js';
import { takeSnapshot } from '../../src/nn/device-recovery.js';
import { randomFloats } from '../helpers/gpu.js';
import { deviceLossModel as model, fitArgs, x, y } from '../helpers/device-loss-model.js';
import { weightBits } from './harness.js';

/** A callback that destroys the model's device at the given (epoch, read-back)s, as a test hook. */
function destroyAt(m: Sequential, at: [epoch: number, read: number][]) {
  const seen = new Map<number, number>();
  return {
    onProgress({ epoch }: { epoch: number }) {
      const read = seen.get(epoch) ?? 0;
      seen.set(epoch, read + 1);
      if (at.some(([e, r]) => e === epoch && r === read)) m.device.gpu.destroy();
    },
  };
}

describe('device loss during fit', () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  afterEach(() => warn.mockClear());

  it('recovers on a new device and ends with the weights of an uninterrupted run', async () => {
    const reference = await model(await createDevice());
    const expected = await reference.fit(x, y, fitArgs);
    const expectedWeights = await weightBits(reference);

    const device = await createDevice();
    const m = await model(device);
    const history = await m.fit(x, y, { ...fitArgs, callbacks: destroyAt(m, [[1, 1]]) });
    expect(device.lost?.message).toMatch(/device lost/);
    expect(m.device).not.toBe(device);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/^fit: WebGPU device lost: .* in epoch 2; created a new device .*, rebuilt the model on it, restored the weights and optimizer state of the start of epoch 2, and repeat that epoch$/);
    expect(history).toEqual(expected);
    expect(await weightBits(m)).toEqual(expectedWeights);
    // The model works on its new device afterwards.
    expect((await m.evaluate(x, y)).loss).toBeCloseTo((await reference.evaluate(x, y)).loss, 6);
    m.dispose();
    reference.dispose();
  }, 120_000);

  it('a loss between epochs (the device destroyed as an epoch ends) repeats only the next epoch', async () => {
    const reference = await model(await createDevice());
    await reference.fit(x, y, fitArgs);
    const device = await createDevice();
    const m = await model(device);
    await m.fit(x, y, { ...fitArgs, callbacks: { onEpochEnd: (epoch) => (epoch === 0 ? device.gpu.destroy() : undefined) } });
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/in epoch 2; created a new device/);
    expect(await weightBits(m)).toEqual(await weightBits(reference));
    m.dispose();
    reference.dispose();
  }, 120_000);

  it('a second loss in the repeated epoch gives up, naming the epoch', async () => {
    const m = await model(await createDevice());
    // The first loss mid-epoch; the second as the repeated epoch begins on the new device.
    const again = { onEpochBegin: () => (warn.mock.calls.length === 1 ? m.device.gpu.destroy() : undefined) };
    await expect(m.fit(x, y, { ...fitArgs, callbacks: [destroyAt(m, [[0, 1]]), again] })).rejects.toThrow(
      /^fit: the WebGPU device was lost again in epoch 1, [\d.]+ s after it was last recovered \(WebGPU device lost: .*\); giving up: the device keeps failing\. Save checkpoints/,
    );
    expect(warn).toHaveBeenCalledTimes(1);
  }, 120_000);

  it('a device its owner destroyed is no loss to recover from: every later use says so', async () => {
    const message = /^the WebGPU device was destroyed \(device\.destroy\(\)\): create a new one with createDevice\(\) and compile the model on it$/;
    for (const use of [(m: Sequential) => m.fit(x, y, fitArgs), (m: Sequential) => m.predict(x), (m: Sequential) => m.evaluate(x, y)]) {
      const device = await createDevice();
      const m = await model(device);
      device.destroy();
      await expect(use(m)).rejects.toThrow(message);
      expect(device.lost).toBeUndefined();
      expect(m.device).toBe(device); // not rebuilt on a new device
      m.dispose();
    }
    const device = await createDevice();
    device.destroy();
    await expect(model(device)).rejects.toThrow(message);
    expect(warn).not.toHaveBeenCalled();
  }, 120_000);

  it('the per-epoch snapshot costs under 3% of the epoch it protects (mnist-conv3, batch 64, 844 steps an epoch)', async () => {
    // Timed side by side in one run on this machine (SwiftShader, shared with other work).
    const device = await createDevice();
    const { model: conv3 } = presets['mnist-conv3']();
    await conv3.compile({ device, optimizer: 'adam' });
    const batch = 64;
    const images = randomFloats(batch * 784, 5, 0, 1);
    const labels = Uint8Array.from({ length: batch }, (_, i) => i % 10);
    await conv3.trainOnBatch(images, labels); // compiles
    let started = performance.now();
    const steps = 3;
    for (let i = 0; i < steps; i++) await conv3.trainOnBatch(images, labels);
    const stepMs = (performance.now() - started) / steps;
    const context = (conv3 as unknown as { fitContext(): Parameters<typeof takeSnapshot>[0] }).fitContext();
    started = performance.now();
    for (let i = 0; i < 3; i++) await takeSnapshot(context);
    const snapshotMs = (performance.now() - started) / 3;
    const stepsPerEpoch = Math.ceil(54_000 / batch);
    console.log(`snapshot ${snapshotMs.toFixed(1)} ms; step ${stepMs.toFixed(0)} ms; snapshot / epoch = ${((100 * snapshotMs) / (stepMs * stepsPerEpoch)).toFixed(4)}%; snapshot / one step = ${((100 * snapshotMs) / stepMs).toFixed(2)}%`);
    expect(snapshotMs / (stepMs * stepsPerEpoch)).toBeLessThan(0.03);
    conv3.dispose();
    device.destroy();
  }, 300_000);
});
