/**
 * fit's guard against a non-finite loss, without any extra wait for the GPU.
 *
 * The loss is summed on the GPU and read back every few steps (the runner's ring of
 * read-backs). In the same submit as each read-back step, before the step's dispatches, the
 * guard copies the parameters, the non-trainable statistics and the optimizer's state into one
 * of three backup slots on the GPU. A read-back that comes back finite proves that the
 * weights backed up in its submit gave a finite loss (they are what that step's forward
 * pass used). When a read-back is NaN or infinite, the backup of the read-back before it is
 * the last proven one, and it is still there: the runner waits for read-back k-2 before it
 * submits k, and the guard refuses to overwrite a slot once it knows of a non-finite loss,
 * so three slots (k-3, k-2, k-1 while k is recorded) are always enough.
 */
import type { Device } from '../device/device.js';
import type { MetricsSnapshot } from './runner.js';
import type { WeightStore } from './weights.js';

const SLOTS = 3;

/** Where training stood when a backup was taken: before the step `step` (0-based) of `epoch`. */
export interface BackupPoint {
  epoch: number;
  step: number;
  /** The runner's optimizer step counter then (Adam's t, the dropout stream). */
  optimizerSteps: number;
}

/** Thrown out of a step's recording once a non-finite loss has been read back. */
export class NonFiniteLossSeen extends Error {}

interface Slot {
  params: GPUBuffer; // (paramCount) f32, as WeightStore.params
  stats: GPUBuffer; // (statFloats) f32, as WeightStore.stats
  optimizerState: GPUBuffer; // (slots, paramCount) f32, as the optimizer's state
  point?: BackupPoint;
}

export class NanGuard {
  private readonly slots: Slot[];
  /** The first read-back whose loss was not finite, with what it read and the step it was taken after. */
  firstBad?: { read: number; loss: number; epoch: number; step: number };
  /** Read-backs known to be finite so far, by index, with the step each was taken after. */
  private readonly finite = new Map<number, { epoch: number; step: number }>();

  constructor(
    private readonly device: Device,
    private readonly weights: WeightStore,
    private readonly optimizerState: GPUBuffer,
  ) {
    const copy = (label: string, of: GPUBuffer) => device.createBuffer(`${label} backup`, of.size);
    this.slots = Array.from({ length: SLOTS }, (_, i) => ({
      params: copy(`params ${i}`, weights.params),
      stats: copy(`stats ${i}`, weights.stats),
      optimizerState: copy(`optimizer state ${i}`, optimizerState),
    }));
  }

  /**
   * Records the backup of read-back `read` (−1: the weights fit started with) into `encoder`.
   * Throws NonFiniteLossSeen instead once a non-finite loss is known.
   */
  record(encoder: GPUCommandEncoder, read: number, point: BackupPoint): void {
    if (this.firstBad) throw new NonFiniteLossSeen();
    const slot = this.slots[(read + SLOTS) % SLOTS];
    encoder.copyBufferToBuffer(this.weights.params, 0, slot.params, 0, slot.params.size);
    encoder.copyBufferToBuffer(this.weights.stats, 0, slot.stats, 0, slot.stats.size);
    encoder.copyBufferToBuffer(this.optimizerState, 0, slot.optimizerState, 0, slot.optimizerState.size);
    slot.point = point;
  }

  /** Watches read-back `read`, taken after step `step` (0-based) of `epoch`. */
  observe(read: number, metrics: Promise<MetricsSnapshot>, epoch: number, step: number): void {
    void metrics.then(
      (m) => {
        if (Number.isFinite(m.loss)) {
          this.finite.set(read, { epoch, step });
          this.finite.delete(read - SLOTS); // only the last few are ever asked for
        }
        else if (!this.firstBad || read < this.firstBad.read) this.firstBad = { read, loss: m.loss, epoch, step };
      },
      () => undefined, // a failed read-back (a lost device) is fit's to report, not the guard's
    );
  }

  /** The last read-back before `read` known to be finite, if any. */
  previousFinite(read: number): { epoch: number; step: number } | undefined {
    return this.finite.get(read - 1);
  }

  /**
   * Copies back the backup taken with read-back `firstBad.read − 1` (the last one proven
   * finite, or fit's starting weights) and returns where training stood then.
   */
  restore(): BackupPoint {
    const slot = this.slots[(this.firstBad!.read - 1 + SLOTS) % SLOTS];
    const encoder = this.device.gpu.createCommandEncoder({ label: 'restore backup' });
    encoder.copyBufferToBuffer(slot.params, 0, this.weights.params, 0, slot.params.size);
    encoder.copyBufferToBuffer(slot.stats, 0, this.weights.stats, 0, slot.stats.size);
    encoder.copyBufferToBuffer(slot.optimizerState, 0, this.optimizerState, 0, slot.optimizerState.size);
    this.device.gpu.queue.submit([encoder.finish()]);
    return slot.point!;
  }

  destroy(): void {
    for (const slot of this.slots) for (const b of [slot.params, slot.stats, slot.optimizerState]) b.destroy();
  }
}
