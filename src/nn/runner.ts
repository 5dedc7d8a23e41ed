/**
 * Runs compiled steps: uploads a batch, records the step's dispatches into one command
 * encoder, submits once. Loss and accuracy stay on the GPU (summed by the loss kernels) and
 * are copied into a small ring of mappable buffers only every `syncEvery` steps, so the CPU
 * runs ahead of the GPU by at most that many steps and never waits inside them.
 */
import { recordDispatches } from '../runtime/dispatch.js';
import { compileStep, type CompiledStep, type ModelState, type StepMode } from './step-compiler.js';
import { clearMetrics, summarizeMetrics } from './metrics.js';

export interface MetricsSnapshot {
  /** Mean loss over the samples summed so far. */
  loss: number;
  accuracy: number;
  samples: number;
}

const RING = 2;

export class Runner {
  private readonly steps = new Map<string, Promise<CompiledStep>>();
  private readonly stepInfoHost = new Uint32Array(4); // [step, seed, 0, 0]
  /** (RING × 16 bytes) mappable copies of the metrics buffer. */
  private readonly ring: { buffer: GPUBuffer; pending?: Promise<MetricsSnapshot> }[];
  private ringNext = 0;
  /** Optimizer steps taken so far (Adam's t, the dropout stream). */
  step = 0;

  constructor(private readonly state: ModelState, seed: number) {
    this.stepInfoHost[1] = seed >>> 0;
    this.ring = Array.from({ length: RING }, (_, i) => ({
      buffer: state.device.gpu.createBuffer({ label: `metrics readback ${i}`, size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    }));
  }

  /** The compiled step for a mode and batch size, built on first use. */
  compiled(mode: StepMode, batch: number): Promise<CompiledStep> {
    const key = `${mode}:${batch}`;
    let step = this.steps.get(key);
    if (!step) {
      step = compileStep(this.state, mode, batch);
      this.steps.set(key, step);
      step.catch(() => this.steps.delete(key));
    }
    return step;
  }

  clearMetrics(): void {
    clearMetrics(this.state.device, this.state.metrics);
  }

  /**
   * Uploads one batch and submits the step. With `readMetrics`, the running sums are copied
   * out in the same submit; `metrics` resolves with them once the GPU is there. (Wrapped in
   * an object so that awaiting run() does not also wait for the GPU.)
   */
  async run(
    step: CompiledStep,
    x: Float32Array,
    targets: Float32Array | undefined,
    readMetrics: boolean,
    extra?: (e: GPUCommandEncoder) => void,
  ): Promise<{ metrics: Promise<MetricsSnapshot> } | undefined> {
    const { device } = this.state;
    const queue = device.gpu.queue;
    device.throwIfFailed();
    queue.writeBuffer(step.x, 0, x.buffer, x.byteOffset, x.byteLength);
    if (step.targets && targets) queue.writeBuffer(step.targets, 0, targets.buffer, targets.byteOffset, targets.byteLength);
    if (step.mode === 'train') {
      this.step++;
      this.stepInfoHost[0] = this.step;
      queue.writeBuffer(this.state.stepInfo, 0, this.stepInfoHost);
    }
    const encoder = device.gpu.createCommandEncoder({ label: `${step.mode} step` });
    recordDispatches(encoder, step.dispatches, `${step.mode} step`);
    extra?.(encoder);
    if (!readMetrics) {
      queue.submit([encoder.finish()]);
      return undefined;
    }
    const slot = this.ring[this.ringNext];
    this.ringNext = (this.ringNext + 1) % RING;
    // The slot's previous read must finish (and unmap) before it is written again; this
    // is also what bounds how far the CPU runs ahead.
    if (slot.pending) await slot.pending;
    encoder.copyBufferToBuffer(this.state.metrics, 0, slot.buffer, 0, 16);
    queue.submit([encoder.finish()]);
    slot.pending = slot.buffer.mapAsync(GPUMapMode.READ).then(() => {
      const snapshot = summarizeMetrics(new Float32Array(slot.buffer.getMappedRange(0, 16)));
      slot.buffer.unmap();
      device.throwIfFailed();
      return snapshot;
    });
    return { metrics: slot.pending };
  }

  destroy(): void {
    for (const step of this.steps.values()) void step.then((s) => s.destroy(), () => undefined);
    for (const slot of this.ring) slot.buffer.destroy();
  }
}
