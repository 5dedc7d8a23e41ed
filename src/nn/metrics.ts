/**
 * The running metrics of a model: loss and accuracy sums that the cross-entropy kernels
 * accumulate on the GPU (layout: kernels/softmax.ts' METRIC), cleared at the start of an
 * epoch or evaluation and turned into means when read back.
 */
import type { Device } from '../device/device.js';
import { METRIC, METRICS_LENGTH } from '../kernels/softmax.js';

/** Zeroes the metrics buffer (queue order: before the next submitted step). */
export function clearMetrics(device: Device, metrics: GPUBuffer, byteOffset = 0): void {
  device.gpu.queue.writeBuffer(metrics, byteOffset, new Float32Array(METRICS_LENGTH));
}

/** Mean loss and accuracy from the accumulated metrics values read back from the GPU. */
export function summarizeMetrics(values: ArrayLike<number>): { loss: number; accuracy: number; samples: number } {
  const samples = values[METRIC.samples];
  return { loss: values[METRIC.lossSum] / samples, accuracy: values[METRIC.correct] / samples, samples };
}
