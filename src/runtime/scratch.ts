/**
 * Scratch memory: a buffer a kernel needs between its own dispatches (split-K partial sums,
 * column-sum and cross-entropy partials). The kernel asks for it; the caller owns it. In a
 * compiled step the memory plan is the owner (src/graph/planner.ts), so destroying the step
 * frees it; tests and the bench use a ScratchOwner.
 */
import type { Device } from '../device/device.js';

/** Creates a scratch buffer of `byteSize` bytes that the caller's owner frees. */
export type Scratch = (label: string, byteSize: number) => GPUBuffer;

/** Creates scratch buffers on request and frees them together. */
export class ScratchOwner {
  private readonly buffers: GPUBuffer[] = [];

  constructor(private readonly device: Device) {}

  readonly scratch: Scratch = (label, byteSize) => {
    const buffer = this.device.createBuffer(label, byteSize);
    this.buffers.push(buffer);
    return buffer;
  };

  destroy(): void {
    for (const buffer of this.buffers.splice(0)) buffer.destroy();
  }
}
