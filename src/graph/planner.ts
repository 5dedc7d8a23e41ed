/**
 * Memory planner: it creates, and so owns, every buffer of a compiled step. Every tensor
 * that is neither fixed nor host-visible gets a slot, and tensors whose lifetimes (first to
 * last op touching them) do not overlap share a slot. Each slot becomes one GPU buffer sized
 * to its largest tensor. Lifetimes are inclusive at both ends, so an op's inputs and outputs
 * never share a buffer (WebGPU forbids binding one buffer writable twice in a dispatch anyway).
 * Host-visible tensors (batch in, predictions out) get a buffer each, and the kernels'
 * scratch buffers are created through the plan while the dispatches are.
 */
import type { Device } from '../device/device.js';
import type { Binding } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';
import type { Graph, TensorId } from './graph.js';

export interface MemoryPlan {
  /** The buffers the plan created, the kernels' scratch included; the owner destroys them. */
  buffers: GPUBuffer[];
  bind(t: TensorId): Binding;
  /** The buffer of a host-visible tensor, for the host's writes and reads. */
  hostBuffer(t: TensorId): GPUBuffer;
  /** Scratch for the ops' kernels, created while their dispatches are built (never during a step). */
  scratch: Scratch;
}

export function planMemory(device: Device, graph: Graph, label: string): MemoryPlan {
  const root = (t: TensorId) => graph.tensors[t].aliasOf ?? t;
  const first = new Map<TensorId, number>();
  const last = new Map<TensorId, number>();
  graph.ops.forEach((op, index) => {
    for (const t of [...op.reads, ...op.writes].map(root)) {
      if (graph.tensors[t].fixed || graph.tensors[t].hostVisible) continue;
      if (!first.has(t)) first.set(t, index);
      last.set(t, index);
    }
  });

  // Greedy interval colouring in order of first use; a slot is free once its last tensor died.
  const slots: { bytes: number; freeAfter: number }[] = [];
  const slotOf = new Map<TensorId, number>();
  for (const t of [...first.keys()].sort((a, b) => first.get(a)! - first.get(b)! || a - b)) {
    const bytes = graph.tensors[t].elements * 4;
    const start = first.get(t)!;
    // Prefer the free slot closest in size, to keep large buffers for large tensors.
    let best = -1;
    slots.forEach((slot, i) => {
      if (slot.freeAfter >= start) return;
      if (best < 0 || Math.abs(slot.bytes - bytes) < Math.abs(slots[best].bytes - bytes)) best = i;
    });
    if (best < 0) {
      best = slots.length;
      slots.push({ bytes: 0, freeAfter: -1 });
    }
    slots[best].bytes = Math.max(slots[best].bytes, bytes);
    slots[best].freeAfter = last.get(t)!;
    slotOf.set(t, best);
  }

  const buffers = slots.map((slot, i) => device.createBuffer(`${label} slot ${i}`, slot.bytes));
  const own = new Map<TensorId, GPUBuffer>();
  for (const tensor of graph.tensors) {
    if (!tensor.hostVisible) continue;
    const buffer = device.createBuffer(`${label} ${tensor.label}`, tensor.elements * 4);
    own.set(tensor.id, buffer);
    buffers.push(buffer);
  }
  return {
    buffers,
    bind(t: TensorId): Binding {
      const tensor = graph.tensors[root(t)];
      if (tensor.fixed) return tensor.fixed;
      const buffer = own.get(tensor.id);
      if (buffer) return { buffer, offset: 0, size: tensor.elements * 4 };
      const slot = slotOf.get(tensor.id);
      if (slot === undefined) throw new Error(`tensor ${tensor.label} is used by no op`);
      return { buffer: buffers[slot], offset: 0, size: Math.max(16, tensor.elements * 4) };
    },
    hostBuffer(t: TensorId): GPUBuffer {
      const buffer = own.get(root(t));
      if (!buffer) throw new Error(`tensor ${graph.tensors[t].label} is not host-visible`);
      return buffer;
    },
    scratch(scratchLabel, byteSize) {
      const buffer = device.createBuffer(`${label} ${scratchLabel}`, byteSize);
      buffers.push(buffer);
      return buffer;
    },
  };
}
