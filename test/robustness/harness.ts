/**
 * The bad-input suites' harness: a small compiled model, and `expectRefused`, which runs one
 * misuse and asserts that it throws a message naming the culprit, that the model's weights
 * are bit for bit what they were, and that no GPU buffer was left behind.
 */
import { expect } from 'vitest';
import { Sequential, layers } from '../../src/index.js';
import type { Device } from '../../src/device/device.js';
import { randomFloats, testDevice } from '../helpers/gpu.js';

/** Input [6, 6, 1], 3 classes. */
export const INPUT = [6, 6, 1];
export const CLASSES = 3;
export const SAMPLES = 4;

export function tinyModel(): Sequential {
  return new Sequential([
    layers.conv2d({ filters: 2, kernelSize: 3, activation: 'relu', inputShape: INPUT }),
    layers.flatten(),
    layers.dense({ units: CLASSES, activation: 'softmax' }),
  ]);
}

export async function compiledTinyModel(seed = 3): Promise<Sequential> {
  const model = tinyModel();
  await model.compile({ device: await testDevice(), optimizer: 'sgd', seed });
  return model;
}

/** (SAMPLES, 6, 6, 1) inputs and their integer labels. */
export function tinyData(): { x: Float32Array; y: Uint8Array } {
  return { x: randomFloats(SAMPLES * 36, 11), y: Uint8Array.from([0, 1, 2, 1]) };
}

/** Every weight as raw bits, so that -0 and NaN payloads count too. */
export async function weightBits(model: Sequential): Promise<Uint32Array[]> {
  return (await model.getWeights()).map((w) => new Uint32Array(w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength)));
}

/**
 * Runs `misuse` and asserts: it throws, the message matches `message` (which must name the
 * argument or file and the value), `model`'s weights are bit-equal afterwards, and the device
 * holds the same live buffers as before.
 */
export async function expectRefused(model: Sequential | undefined, misuse: () => unknown, message: RegExp): Promise<void> {
  const device: Device = await testDevice();
  const before = model ? await weightBits(model) : undefined;
  const memory = device.memory;
  let error: unknown;
  try {
    await misuse();
  } catch (err) {
    error = err;
  }
  expect(error, `expected an error matching ${message}`).toBeInstanceOf(Error);
  expect((error as Error).message).toMatch(message);
  expect(device.memory, 'live GPU buffers after the refused call').toEqual(memory);
  if (model) expect(await weightBits(model)).toEqual(before);
  // Nothing queued by the refused call may surface in the next one.
  device.throwIfFailed();
}
