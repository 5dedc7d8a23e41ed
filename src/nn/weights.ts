/**
 * Where a model's weights live on the GPU. Trainable parameters share one flat buffer (and
 * their gradients a second one with the same layout) so that one optimizer dispatch updates
 * them all; non-trainable weights (BatchNormalization's moving statistics) have a flat buffer
 * of their own. Each tensor starts on a 256-byte boundary, WebGPU's binding alignment.
 */
import type { Device } from '../device/device.js';
import type { BufferRange } from '../runtime/dispatch.js';
import { elements } from '../data/shape.js';
import type { Constraint } from '../kernels/constrain.js';
import type { Regularizer } from '../kernels/regularize.js';

/** 256 bytes: the minimum storage-buffer offset alignment WebGPU guarantees. */
const ALIGN_FLOATS = 64;

export interface WeightSpec {
  /** Keras name, e.g. `conv2d/kernel`. */
  name: string;
  shape: number[];
  trainable: boolean;
  /** Initial values (Keras initializers, drawn on the CPU at build time). */
  init: () => Float32Array;
  /**
   * Place it directly after the previous tensor of the same buffer, without alignment, so a
   * kernel can bind both as one range (BatchNormalization's gamma|beta and mean|variance).
   */
  packWithPrevious?: boolean;
  /** Its name in TF.js (and tf.keras 2) where Keras 3's differs: DepthwiseConv2D's kernel is their `depthwise_kernel`. */
  tfjsName?: string;
  /** A Keras regularizer's penalty on it (trainable weights only): src/nn/regularizers.ts. */
  regularizer?: Regularizer;
  /** A Keras constraint projected after each update (trainable weights only): src/nn/constraints.ts. */
  constraint?: Constraint;
}

export interface WeightSlot extends WeightSpec {
  elements: number;
  /** Offset in floats into the flat buffer (params or stats). */
  offset: number;
}

export class WeightStore {
  readonly slots: WeightSlot[] = [];
  private paramFloats = 0;
  private statFloats = 0;
  params!: GPUBuffer; // (paramFloats): every trainable tensor, aligned
  grads!: GPUBuffer; // (paramFloats): gradients, same layout as params
  stats!: GPUBuffer; // (statFloats): non-trainable tensors

  add(spec: WeightSpec): WeightSlot {
    const count = elements(spec.shape);
    let offset = spec.trainable ? this.paramFloats : this.statFloats;
    if (spec.packWithPrevious) {
      const previous = this.slots.filter((s) => s.trainable === spec.trainable).at(-1);
      if (!previous) throw new Error(`${spec.name}: nothing to pack with`);
      offset = previous.offset + previous.elements;
    }
    const end = Math.ceil((offset + count) / ALIGN_FLOATS) * ALIGN_FLOATS;
    if (spec.trainable) this.paramFloats = end;
    else this.statFloats = end;
    const slot = { ...spec, elements: count, offset };
    this.slots.push(slot);
    return slot;
  }

  /** Floats in the flat parameter buffer, alignment gaps included (the optimizer's count). */
  get paramCount(): number {
    return this.paramFloats;
  }

  /**
   * Creates the buffers and uploads every tensor's initial value (or, with `initialize` false,
   * leaves them zero for the caller to fill, as after a device loss).
   */
  allocate(device: Device, initialize = true): void {
    this.params = device.createBuffer('params', this.paramFloats * 4);
    this.grads = device.createBuffer('grads', this.paramFloats * 4);
    this.stats = device.createBuffer('stats', this.statFloats * 4);
    if (initialize) this.write(device, this.slots.map((s) => s.init()));
  }

  /** The tensor's range in its flat buffer; `count` tensors packed together from it (packWithPrevious). */
  range(slot: WeightSlot, count = 1): BufferRange {
    return { buffer: slot.trainable ? this.params : this.stats, offset: slot.offset * 4, size: slot.elements * count * 4 };
  }

  gradRange(slot: WeightSlot, count = 1): BufferRange {
    if (!slot.trainable) throw new Error(`${slot.name} is not trainable`);
    return { buffer: this.grads, offset: slot.offset * 4, size: slot.elements * count * 4 };
  }

  /** Checks every array's length against its slot, then writes all of them (all or nothing). */
  write(device: Device, values: Float32Array[]): void {
    this.check(values);
    values.forEach((v, i) => {
      const r = this.range(this.slots[i]);
      device.gpu.queue.writeBuffer(r.buffer, r.offset!, v.buffer, v.byteOffset, v.byteLength);
    });
  }

  /** Throws unless `values` are one finite Float32Array per slot, of the slot's size. */
  check(values: Float32Array[]): void {
    if (values.length !== this.slots.length) {
      throw new Error(`expected ${this.slots.length} weight arrays (${this.slots.map((s) => s.name).join(', ')}), got ${values.length}`);
    }
    values.forEach((v, i) => {
      const slot = this.slots[i];
      if (!(v instanceof Float32Array)) throw new Error(`weight ${slot.name}: expected a Float32Array`);
      if (v.length !== slot.elements) throw new Error(`weight ${slot.name}: expected ${slot.elements} values for shape [${slot.shape}], got ${v.length}`);
      const bad = firstNonFinite(v);
      if (bad >= 0) throw new Error(`weight ${slot.name}: value ${v[bad]} at index ${bad} is not finite; nothing was written`);
    });
  }

  async read(device: Device): Promise<Float32Array[]> {
    const [params, stats] = await Promise.all([device.readFloats(this.params), device.readFloats(this.stats)]);
    return this.slots.map((s) => (s.trainable ? params : stats).slice(s.offset, s.offset + s.elements));
  }

  destroy(): void {
    this.params?.destroy();
    this.grads?.destroy();
    this.stats?.destroy();
  }
}

/** Index of the first NaN or infinity in `values`, or -1. */
export function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}
