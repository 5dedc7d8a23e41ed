/** Lines train and evaluate print about their run. */
import type { Device } from '../device/device.js';

/**
 * What kernel tuning did while the training and test steps were compiled: a second run on this
 * machine times nothing.
 */
export function tuningLine(device: Device): string {
  const c = device.kernelChoices;
  if (c.mode === 'off') return 'kernel tuning: off (default kernels per adapter class)';
  return `kernel tuning (${c.mode}): ${c.timed} candidate(s) timed, ${c.cacheHits} choice(s) from the cache ${c.where ?? '(none)'}`;
}

/** The last line of train and evaluate, which scripts read. */
export function testLine(test: { loss: number; accuracy: number }): string {
  return `test: loss ${test.loss.toFixed(4)} accuracy ${test.accuracy.toFixed(4)}`;
}
