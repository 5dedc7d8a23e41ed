/**
 * The page of test/browser/device-loss.test.ts: trains a small model twice in the browser,
 * once uninterrupted and once with its device destroyed mid-epoch from a callback, and puts
 * what it saw on `window.deviceLossResult` for the test to read.
 */
import { createDevice, type Sequential } from '../../src/index.js';
import { deviceLossModel as model, fitArgs, x, y } from '../helpers/device-loss-model.js';

const bits = async (m: Sequential) => (await m.getWeights()).flatMap((w) => Array.from(new Uint32Array(w.buffer, w.byteOffset, w.length)));

async function run() {
  const reference = await model(await createDevice());
  const expected = await reference.fit(x, y, fitArgs);
  const device = await createDevice();
  const m = await model(device);
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
  let destroyed = false;
  const history = await m.fit(x, y, {
    ...fitArgs,
    callbacks: {
      onProgress({ epoch, samplesDone }) {
        if (epoch === 1 && samplesDone >= 8 && !destroyed) {
          destroyed = true;
          device.gpu.destroy();
        }
      },
    },
  });
  console.warn = warn;
  const [a, b] = [await bits(reference), await bits(m)];
  return {
    destroyed,
    lost: device.lost?.message ?? '',
    newDevice: m.device !== device,
    warnings,
    sameHistory: JSON.stringify(history) === JSON.stringify(expected),
    sameWeights: a.length === b.length && a.every((v, i) => v === b[i]),
  };
}

run().then(
  (result) => Object.assign(window, { deviceLossResult: result }),
  (error: Error) => Object.assign(window, { deviceLossResult: { error: `${error.message}\n${error.stack}` } }),
);
