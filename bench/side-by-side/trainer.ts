/**
 * One side of bench/node-vs-chromium.ts, the same code in Node (Dawn) and in the Chromium page:
 * a preset compiled with SGD on this side's device and warmed up, timed through fit on random
 * data, and its training step timed dispatch by dispatch (GPU timestamps where the device has
 * them).
 */
import { createDevice, type Device } from '../../src/device/device.js';
import { optimizers } from '../../src/nn/optimizers.js';
import { presets } from '../../src/nn/presets.js';
import { DispatchTimer } from '../../src/runtime/timing.js';
import { EngineTrainer } from '../training.js';

export interface SideInfo {
  adapter: string;
  /** Whether the engine took the adapter for a software one: it picks kernels by that (matmul.ts). */
  software: boolean;
  /** Whether the matmul shares loads across quads (the adapter's subgroups feature). */
  quads: boolean;
  clock: string;
}

export interface DispatchTimes {
  labels: string[];
  /** Median milliseconds of each dispatch of the training step, in step order. */
  ms: number[];
}

export class Side {
  private readonly trainers = new Map<string, EngineTrainer>();

  private constructor(
    private readonly device: Device,
    private readonly timer: DispatchTimer,
  ) {}

  /** @param pacedWaits see DeviceOptions.pacedWaits (Node only). */
  static async start(pacedWaits?: boolean): Promise<Side> {
    const device = await createDevice({ adapter: 'software', pacedWaits });
    return new Side(device, new DispatchTimer(device));
  }

  info(): SideInfo {
    return { adapter: this.device.adapter.description, software: this.device.adapter.software, quads: this.device.quads, clock: this.timer.clock };
  }

  /** Compiles `preset` at `batch` with SGD (learning rate 0.01) and runs one warm-up step. */
  async prepare(preset: string, batch: number): Promise<void> {
    const p = presets[preset]();
    const trainer = await EngineTrainer.start(this.device, { ...p, optimizer: optimizers.sgd() }, batch, 1);
    this.trainers.set(key(preset, batch), trainer);
  }

  /** Wall-clock milliseconds of `steps` training steps through fit. */
  time(preset: string, batch: number, steps: number): Promise<number> {
    return this.trainer(preset, batch).time(steps);
  }

  async dispatchTimes(preset: string, batch: number, runs: number): Promise<DispatchTimes> {
    const step = await this.trainer(preset, batch).model.compiledStep('train', batch);
    const ms = await this.timer.perDispatch(step.dispatches, runs);
    return { labels: step.dispatches.map((d) => d.label), ms };
  }

  private trainer(preset: string, batch: number): EngineTrainer {
    const trainer = this.trainers.get(key(preset, batch));
    if (!trainer) throw new Error(`${preset} at batch ${batch} was not prepared`);
    return trainer;
  }
}

const key = (preset: string, batch: number) => `${preset}:${batch}`;
