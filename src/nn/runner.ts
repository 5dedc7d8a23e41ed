/**
 * Runs compiled steps: uploads a batch, records the compiled step's dispatches into one
 * command encoder, submits once. Loss and accuracy stay on the GPU (summed by the loss
 * kernels) and are copied into a small ring of RING mappable buffers only when the caller asks
 * (`readMetrics`: fit does every `progressEvery` steps), so the CPU runs ahead of the GPU by at
 * most RING read-backs and never waits between them.
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
  private readonly compiledSteps = new Map<string, Promise<CompiledStep>>();
  private readonly stepInfoHost = new Uint32Array(4); // [step, seed, 0, 0]
  /** (RING × 16 bytes) mappable copies of the metrics buffer. */
  private readonly ring: { buffer: GPUBuffer; pending?: Promise<MetricsSnapshot> }[];
  private ringNext = 0;
  /** Optimizer steps taken so far (Adam's t, the dropout stream). */
  optimizerSteps = 0;

  constructor(private readonly state: ModelState, seed: number) {
    this.stepInfoHost[1] = seed >>> 0;
    this.ring = Array.from({ length: RING }, (_, i) => ({
      buffer: state.device.gpu.createBuffer({ label: `metrics readback ${i}`, size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST }),
    }));
  }

  /** The compiled step for a mode and batch size, built on first use. */
  compiled(mode: StepMode, batch: number): Promise<CompiledStep> {
    const key = `${mode}:${batch}`;
    let compiled = this.compiledSteps.get(key);
    if (!compiled) {
      compiled = compileStep(this.state, mode, batch);
      this.compiledSteps.set(key, compiled);
      compiled.catch(() => this.compiledSteps.delete(key));
    }
    return compiled;
  }

  clearMetrics(): void {
    clearMetrics(this.state.device, this.state.metrics);
  }

  /**
   * Uploads one batch and submits the compiled step. With `readMetrics`, the running sums are copied
   * out in the same submit; `metrics` resolves with them once the GPU is there. (Wrapped in
   * an object so that awaiting run() does not also wait for the GPU.)
   */
  async run(
    compiled: CompiledStep,
    x: Float32Array,
    targets: Float32Array | undefined,
    readMetrics: boolean,
    extra?: (e: GPUCommandEncoder) => void,
  ): Promise<{ metrics: Promise<MetricsSnapshot> } | undefined> {
    const { device } = this.state;
    const queue = device.gpu.queue;
    device.throwIfFailed();
    queue.writeBuffer(compiled.x, 0, x.buffer, x.byteOffset, x.byteLength);
    if (compiled.targets && targets) queue.writeBuffer(compiled.targets, 0, targets.buffer, targets.byteOffset, targets.byteLength);
    if (compiled.mode === 'train') {
      this.optimizerSteps++;
      this.stepInfoHost[0] = this.optimizerSteps;
      queue.writeBuffer(this.state.stepInfo, 0, this.stepInfoHost);
    }
    const encoder = device.gpu.createCommandEncoder({ label: `${compiled.mode} step` });
    recordDispatches(encoder, compiled.dispatches, `${compiled.mode} step`);
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
    for (const compiled of this.compiledSteps.values()) void compiled.then((s) => s.destroy(), () => undefined);
    for (const slot of this.ring) slot.buffer.destroy();
  }
}
