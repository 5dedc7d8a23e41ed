/**
 * Runs compiled steps: uploads a batch, records the compiled step's dispatches into one
 * command encoder, submits once. Loss and accuracy stay on the GPU (summed by the loss
 * kernels) and are copied into a small ring of RING mappable buffers only when the caller asks
 * (`readMetrics`: fit does every `progressEvery` steps), so the CPU runs ahead of the GPU by at
 * most RING read-backs and never waits between them.
 */
import { recordDispatches } from '../runtime/dispatch.js';
import { QueuePacer, WAITS_SPIN } from '../runtime/queue-pacer.js';
import { ReadCadence } from './read-cadence.js';
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
  /** Steps whose compilation finished, so that destroy() frees them at once. */
  private readonly built = new Set<CompiledStep>();
  private destroyed = false;
  private readonly stepInfoHost = new Uint32Array(4); // [step, seed, 0, 0]
  /** (RING × 16 bytes) mappable copies of the metrics buffer. */
  private readonly ring: { buffer: GPUBuffer; pending?: Promise<MetricsSnapshot> }[];
  private ringNext = 0;
  /** Optimizer steps taken so far (Adam's t, the dropout stream). */
  optimizerSteps = 0;
  /** fit's default read-back cadence, learnt from the step time and kept between fits. */
  readonly cadence = new ReadCadence(undefined);
  /** Delays each read-back until its step is nearly done, so that Node does not spin meanwhile. */
  private readonly pacer: QueuePacer;

  constructor(private readonly state: ModelState, seed: number) {
    this.stepInfoHost[1] = seed >>> 0;
    this.pacer = new QueuePacer(WAITS_SPIN && state.device.options.pacedWaits !== false);
    this.ring = Array.from({ length: RING }, (_, i) => ({
      buffer: state.device.createReadback(`metrics readback ${i}`, 16),
    }));
  }

  /** The compiled step for a mode and batch size, built on first use. */
  compiled(mode: StepMode, batch: number): Promise<CompiledStep> {
    const key = `${mode}:${batch}`;
    let compiled = this.compiledSteps.get(key);
    if (!compiled) {
      compiled = compileStep(this.state, mode, batch).then((s) => {
        // A step that finishes compiling after destroy() is freed at once.
        if (this.destroyed) s.destroy();
        else this.built.add(s);
        return s;
      });
      this.compiledSteps.set(key, compiled);
      compiled.catch(() => this.compiledSteps.delete(key));
    }
    return compiled;
  }

  clearMetrics(): void {
    clearMetrics(this.state.device, this.state.metrics);
  }

  /** (4) f32: the running sums of a resumed epoch, in place of clearMetrics (queue order: before the next step). */
  writeMetrics(sums: Float32Array): void {
    this.state.device.gpu.queue.writeBuffer(this.state.metrics, 0, sums.buffer, sums.byteOffset, sums.byteLength);
  }

  /** (4) f32: the running sums now (after every step submitted so far); a checkpoint within an epoch saves them. */
  readMetrics(): Promise<Float32Array> {
    return this.state.device.readFloats(this.state.metrics);
  }

  /**
   * Uploads one batch and submits the compiled step. With `readMetrics`, the running sums are copied
   * out in the same submit; `metrics` resolves with them once the GPU is there. (Wrapped in
   * an object so that awaiting run() does not also wait for the GPU.) `hooks` record more
   * commands into the same encoder, before or after the step's dispatches; `before` runs after
   * the wait for the read-back slot, so it sees every metric read back until then.
   */
  async run(
    compiled: CompiledStep,
    x: Float32Array,
    targets: Float32Array | undefined,
    readMetrics: boolean,
    hooks: { before?(e: GPUCommandEncoder): void; after?(e: GPUCommandEncoder): void } = {},
  ): Promise<{ metrics: Promise<MetricsSnapshot> } | undefined> {
    const { device } = this.state;
    const queue = device.gpu.queue;
    const slot = readMetrics ? this.ring[this.ringNext] : undefined;
    // The slot's previous read must finish (and unmap) before it is written again; this
    // is also what bounds how far the CPU runs ahead.
    if (slot?.pending) await slot.pending;
    device.throwIfFailed();
    const encoder = device.gpu.createCommandEncoder({ label: `${compiled.mode} step` });
    hooks.before?.(encoder);
    queue.writeBuffer(compiled.x, 0, x.buffer, x.byteOffset, x.byteLength);
    if (compiled.targets && targets) queue.writeBuffer(compiled.targets, 0, targets.buffer, targets.byteOffset, targets.byteLength);
    if (compiled.mode === 'train') {
      this.state.optimizer.beforeStep?.(this.optimizerSteps);
      this.optimizerSteps++;
      this.stepInfoHost[0] = this.optimizerSteps;
      queue.writeBuffer(this.state.stepInfo, 0, this.stepInfoHost);
    }
    recordDispatches(encoder, compiled.dispatches, `${compiled.mode} step`);
    hooks.after?.(encoder);
    if (!slot) {
      queue.submit([encoder.finish()]);
      this.pacer.submitted(compiled);
      return undefined;
    }
    this.ringNext = (this.ringNext + 1) % RING;
    encoder.copyBufferToBuffer(this.state.metrics, 0, slot.buffer, 0, 16);
    queue.submit([encoder.finish()]);
    const ticket = this.pacer.submitted(compiled);
    // destroy() may run while the pacer sleeps (fit stopped by an error, then dispose): the
    // slot's buffer is then gone and nobody waits for this read any more. A lost device
    // rejects each map only after the pacer's probe has aborted it: its loss ends the wait.
    slot.pending = this.pacer.map(ticket, slot.buffer, () => {
      if (this.destroyed) throw new Error('the model was disposed before its metrics were read back');
      if (device.lost) throw device.lost;
    }).then(() => {
      const snapshot = summarizeMetrics(new Float32Array(slot.buffer.getMappedRange(0, 16)));
      slot.buffer.unmap();
      device.throwIfFailed();
      return snapshot;
    });
    // Whoever awaits it sees a failure (a lost device); unawaited, it must not be an unhandled rejection.
    slot.pending.catch(() => undefined);
    return { metrics: slot.pending };
  }

  destroy(): void {
    this.destroyed = true;
    for (const compiled of this.built) compiled.destroy();
    this.built.clear();
    for (const slot of this.ring) slot.buffer.destroy();
  }
}
