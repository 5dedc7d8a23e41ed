/**
 * Checks every tensor of a recorded step against the device's limits before the planner
 * creates a buffer: each tensor is bound as one storage range, so it must fit
 * maxStorageBufferBindingSize (and maxBufferSize). Activations grow with the batch (an
 * im2col matrix has batch·OH·OW rows), so the error names the largest batch size that fits,
 * or, when one sample alone is too large, says to shrink the layer.
 */
import { formatBytes, type Device } from '../device/device.js';
import type { Graph } from './graph.js';

export function checkTensorSizes(device: Device, graph: Graph, batch: number, label: string): void {
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  for (const tensor of graph.tensors) {
    const bytes = tensor.elements * 4;
    if (bytes <= limit) continue;
    const perSample = bytes / batch;
    const advice =
      perSample <= limit
        ? `use a batchSize of at most ${Math.floor(limit / perSample)}`
        : 'make the layer that produces it smaller (fewer units or filters, or pool before it)';
    throw new Error(
      `${label}: tensor '${tensor.label}' [${tensor.shape}] needs ${formatBytes(bytes)}, over this device's storage binding limit of ${formatBytes(limit)} by ${formatBytes(bytes - limit)}: ${advice}`,
    );
  }
}
