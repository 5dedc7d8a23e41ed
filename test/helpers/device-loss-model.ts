/**
 * The model and data of the device-loss tests, in Node (test/robustness/device-loss.test.ts)
 * and in the browser (test/browser/device-loss-page.ts): dropout and Adam, so that a repeated
 * epoch needs the restored step counter and optimizer state to end as an uninterrupted run.
 */
import { Sequential, layers, type Device } from '../../src/index.js';

const SAMPLES = 24;
/** (24, 8, 8, 1) inputs in [0, 1) and their labels of 4 classes. */
export const x = Float32Array.from({ length: SAMPLES * 64 }, (_, i) => ((i * 37) % 101) / 101);
export const y = Uint8Array.from({ length: SAMPLES }, (_, i) => (i * 7) % 4);
/** 6 steps an epoch, read back every 2. */
export const fitArgs = { batchSize: 4, epochs: 3, progressEvery: 2, verbose: 0 as const };

export async function deviceLossModel(device: Device): Promise<Sequential> {
  const m = new Sequential([
    layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
    layers.dropout({ rate: 0.25 }),
    layers.flatten(),
    layers.dense({ units: 4, activation: 'softmax' }),
  ]);
  await m.compile({ device, optimizer: 'adam', seed: 12 });
  return m;
}
