/**
 * Checks a model's weights against the device's limits before compile allocates anything:
 * the flat parameter buffer (and its gradients and optimizer state, bound whole by the
 * optimizer) must fit maxStorageBufferBindingSize, every buffer maxBufferSize. An error names
 * the largest weight, by how much the limit is exceeded, and what to change. (Per-step
 * tensors, which grow with the batch, are checked by src/graph/limits.ts.)
 */
import { formatBytes, type Device } from '../device/device.js';
import type { Layer } from './layers/layer.js';
import type { WeightStore } from './weights.js';

/** Bytes of GPU memory the weights need: params, grads and optimizer state, plus the non-trainable stats. */
export function weightBytes(store: WeightStore, optimizerSlots: number): number {
  const stats = store.slots.filter((s) => !s.trainable).reduce((sum, s) => sum + s.elements, 0);
  return (store.paramCount * (2 + optimizerSlots) + stats) * 4;
}

export function preflightWeights(device: Device, layers: readonly Layer[], store: WeightStore, optimizerSlots: number): void {
  const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
  const buffers = [
    { what: 'the parameters', bytes: store.paramCount * 4 },
    { what: `the optimizer state (${optimizerSlots} per parameter)`, bytes: store.paramCount * optimizerSlots * 4 },
  ];
  const over = buffers.find((b) => b.bytes > limit);
  if (!over) return;
  const largest = layers
    .flatMap((layer) => layer.weightSlots.map((slot) => ({ layer, slot })))
    .reduce((a, b) => (b.slot.elements > a.slot.elements ? b : a));
  const { layer, slot } = largest;
  const change = layer.className === 'Dense' ? 'use fewer units' : layer.className === 'Conv2D' ? 'use fewer filters or a smaller kernel' : 'make it smaller';
  throw new Error(
    `${over.what} need ${formatBytes(over.bytes)}, over this device's storage binding limit of ${formatBytes(limit)} by ${formatBytes(over.bytes - limit)}` +
      ` (${store.paramCount.toLocaleString('en-US')} parameters; the model needs about ${formatBytes(weightBytes(store, optimizerSlots))} for its weights alone).` +
      ` The largest weight is ${layer.className} layer '${layer.name}' ${slot.name.split('/').pop()} [${slot.shape}] (${formatBytes(slot.elements * 4)}): ${change} in '${layer.name}'` +
      (layer.className === 'Dense' ? ', or pool before it so that it sees fewer inputs' : ''),
  );
}
