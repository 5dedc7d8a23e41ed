/**
 * The graph IR: tensors with static shapes and the ops that read and write them, in
 * execution order. Sequential models record their forward ops here, then their backward ops
 * (reverse-mode autodiff: src/graph/autodiff.ts), then the optimizer update; the planner
 * (src/graph/planner.ts) gives every tensor a buffer by lifetime and each op creates its
 * dispatches once.
 */
import { elements } from '../data/shape.js';
import type { Binding, Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';

export type TensorId = number;

export interface Tensor {
  id: TensorId;
  label: string;
  shape: readonly number[];
  /** Element count; every element is 4 bytes (f32 or u32). */
  elements: number;
  /** Where the tensor lives when it is not planned: parameters and persistent state the model owns. */
  fixed?: Binding;
  /**
   * The host writes it before a step or reads it after one (the batch, the targets, the
   * predictions): the planner gives it a buffer of its own, shared with no other tensor.
   */
  hostVisible?: boolean;
  /** Another tensor whose buffer this one shares (a reshape such as Flatten). */
  aliasOf?: TensorId;
}

export interface Op {
  label: string;
  reads: TensorId[];
  writes: TensorId[];
  /**
   * Creates the op's dispatches, once, given each tensor's binding; a kernel's scratch
   * buffers come from `scratch`, which the memory plan owns.
   */
  createDispatches(bind: (t: TensorId) => Binding, scratch: Scratch): Promise<Dispatch[]>;
}

export class Graph {
  readonly tensors: Tensor[] = [];
  readonly ops: Op[] = [];

  tensor(label: string, shape: readonly number[], fixed?: Binding): TensorId {
    const id = this.tensors.length;
    this.tensors.push({ id, label, shape, elements: elements(shape), fixed });
    return id;
  }

  /** A tensor of another shape over the same memory (row-major order is unchanged). */
  reshape(t: TensorId, label: string, shape: readonly number[]): TensorId {
    const source = this.tensors[t];
    const count = elements(shape);
    if (count !== source.elements) throw new Error(`reshape ${label}: ${source.shape} has ${source.elements} elements, not ${count}`);
    const id = this.tensors.length;
    this.tensors.push({ id, label, shape, elements: count, aliasOf: source.aliasOf ?? t });
    return id;
  }

  add(op: Op): void {
    this.ops.push(op);
  }

  shape(t: TensorId): readonly number[] {
    return this.tensors[t].shape;
  }
}
