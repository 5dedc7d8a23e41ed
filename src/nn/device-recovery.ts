/**
 * fit's defence against a lost device (a driver reset, a GPU process crash, a laptop
 * switching GPUs, a browser reclaiming the device). When it starts and after every epoch, fit
 * copies the weights, the non-trainable statistics, the optimizer state and the step counter
 * to the CPU: the state at the start of the next epoch. When the device is lost, the model is rebuilt on a new device with the same options,
 * the snapshot is written back and the epoch starts again: its shuffle order and dropout
 * stream derive from (seed, epoch) and the step counter, so the repeated epoch is the one an
 * uninterrupted run trains. At most one epoch of work is lost. A second loss before the
 * repeated epoch completes, or within a minute of the last, ends fit with an error.
 */
import type { Device } from '../device/device.js';
import type { Runner } from './runner.js';
import type { ModelState } from './step-compiler.js';

/** A second loss this soon after a recovery gives up. */
export const RECOVERY_WINDOW_MS = 60_000;

/** What fit needs to snapshot, and rebuild after a loss. */
export interface Recoverable {
  state: ModelState;
  runner: Runner;
  /** (slots, params) f32: the optimizer's state buffer. */
  optimizerState: GPUBuffer;
}

export interface Snapshot {
  params: Float32Array; // (paramCount) as WeightStore.params
  stats: Float32Array; // (statFloats) as WeightStore.stats
  optimizerState: Float32Array; // (slots, paramCount)
  optimizerSteps: number;
}

/** Copies the training state to the CPU: one staging buffer, one submit, one wait for the GPU. */
export async function takeSnapshot(target: Recoverable): Promise<Snapshot> {
  const { device, weights } = target.state;
  const sources = [weights.params, weights.stats, target.optimizerState];
  const total = sources.reduce((sum, b) => sum + b.size, 0);
  const staging = device.createReadback('snapshot', total); // params | stats | optimizer state
  try {
    const encoder = device.gpu.createCommandEncoder({ label: 'snapshot' });
    let offset = 0;
    for (const b of sources) {
      encoder.copyBufferToBuffer(b, 0, staging, offset, b.size);
      offset += b.size;
    }
    device.gpu.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(staging.getMappedRange().slice(0));
    const [params, stats] = [weights.params.size / 4, weights.stats.size / 4];
    return {
      params: all.subarray(0, params),
      stats: all.subarray(params, params + stats),
      optimizerState: all.subarray(params + stats),
      optimizerSteps: target.runner.optimizerSteps,
    };
  } finally {
    staging.destroy();
  }
}

/** Writes a snapshot into a (rebuilt) model with the same layout. */
export function restoreSnapshot(target: Recoverable, snapshot: Snapshot): void {
  const { device, weights } = target.state;
  const queue = device.gpu.queue;
  queue.writeBuffer(weights.params, 0, snapshot.params);
  queue.writeBuffer(weights.stats, 0, snapshot.stats);
  queue.writeBuffer(target.optimizerState, 0, snapshot.optimizerState);
  target.runner.optimizerSteps = snapshot.optimizerSteps;
}

/** The error that ends fit when the device is lost again too soon. */
export function secondLossError(loss: Error, epoch: number, sinceMs: number): Error {
  return new Error(
    `fit: the WebGPU device was lost again in epoch ${epoch + 1}, ${(sinceMs / 1000).toFixed(1)} s after it was last recovered (${loss.message}); ` +
      'giving up: the device keeps failing. Save checkpoints (callbacks: [modelCheckpoint(path)]) to resume on a working device.',
  );
}

/** What fit logs after a recovery. */
export function recoveryMessage(loss: Error, epoch: number, device: Device, fromBatch = 0): string {
  const a = device.adapter;
  const point = fromBatch ? `after batch ${fromBatch} of epoch ${epoch + 1} (where fit resumed)` : `of the start of epoch ${epoch + 1}`;
  return `fit: ${loss.message} in epoch ${epoch + 1}; created a new device (${a.description || a.device || a.vendor}), rebuilt the model on it, restored the weights and optimizer state ${point}, and repeat that epoch${fromBatch ? ' from there' : ''}`;
}
