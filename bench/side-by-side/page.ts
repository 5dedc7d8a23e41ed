/**
 * The Chromium page of bench/node-vs-chromium.ts: puts a Side (./trainer.ts) on
 * `window.benchSide` once its device is ready, or the error on `window.benchError`.
 */
import { Side } from './trainer.js';

Side.start().then(
  (side) => Object.assign(window, { benchSide: side }),
  (error: Error) => Object.assign(window, { benchError: `${error.message}\n${error.stack}` }),
);
