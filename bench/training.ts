/**
 * Whole training steps of the engine: timed through model.fit (the user's path: host
 * batching, upload, one submit per step, metrics read back at the end), and where a step's
 * time goes, dispatch by dispatch.
 */
import type { Device } from '../src/device/device.js';
import type { Preset } from '../src/nn/presets.js';
import type { Dispatch } from '../src/runtime/dispatch.js';
import { describe } from './kernels.js';
import type { KernelUse } from './shapes.js';
import type { DispatchTimer } from '../src/runtime/timing.js';
import { elements } from '../src/data/shape.js';

/** Random inputs in [0, 1) and random labels: the speed of a step does not depend on them. */
function syntheticData(inputElements: number, classes: number, samples: number): { x: Float32Array; y: Uint8Array } {
  let seed = 12345;
  const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = Float32Array.from({ length: samples * inputElements }, next);
  const y = Uint8Array.from({ length: samples }, () => Math.floor(next() * classes));
  return { x, y };
}

/**
 * The preset's model compiled on the engine's device and warmed up (the first step compiles
 * it), ready to time training steps through fit any number of times.
 */
export class EngineTrainer {
  /** Wall-clock milliseconds per warm-up step, compilation included. */
  warmupStepMs = 0;

  private constructor(
    private readonly preset: Preset,
    private readonly batch: number,
  ) {}

  static async start(device: Device, preset: Preset, batch: number, warmup: number): Promise<EngineTrainer> {
    await preset.model.compile({ device, optimizer: preset.optimizer, seed: 1 });
    const trainer = new EngineTrainer(preset, batch);
    const steps = Math.max(1, warmup);
    trainer.warmupStepMs = (await trainer.time(steps)) / steps;
    return trainer;
  }

  get model(): Preset['model'] {
    return this.preset.model;
  }

  /** Wall-clock milliseconds of `steps` training steps: one fit call over steps × batch samples. */
  async time(steps: number): Promise<number> {
    const model = this.preset.model;
    const inputElements = elements(model.inputShape);
    const data = syntheticData(inputElements, model.outputShape[0], steps * this.batch);
    const start = performance.now();
    await model.fit(data.x, data.y, { batchSize: this.batch, epochs: 1, verbose: 0 });
    return performance.now() - start;
  }
}

export interface DispatchTime {
  /** The compiled dispatch's label, e.g. `conv2d_1 dW split 8`. */
  label: string;
  /** The kernel call it belongs to, e.g. `mnist-cnn conv2d_1 dW`, from bench/shapes.ts. */
  use: string;
  /** The report's kernel name, e.g. `matmul Aᵀ`. */
  kernel: string;
  shape: string;
  ms: number;
}

export interface StepBreakdown {
  dispatches: DispatchTime[];
  /** Summed per kernel name, largest first, with each one's share of the summed dispatch time. */
  kernels: { kernel: string; ms: number; share: number; calls: number }[];
  /** Sum of the dispatch times. */
  totalMs: number;
  /** False when the compiled step's dispatches did not line up with the derived kernel list. */
  matched: boolean;
}

/** The label a kernel call's first dispatch starts with (its own, its descriptor's, or the layer's for matmuls). */
function expectedLabel(k: KernelUse): string {
  if (k.label) return k.label;
  const spec = k.spec;
  switch (spec.family) {
    case 'matmul': {
      const [layer, role] = k.use.split(' ').slice(-2);
      return `${layer} ${role === 'forward' ? 'matmul' : role}`;
    }
    case 'activation forward':
      return `${spec.activation} forward`;
    case 'activation backward':
      return `${spec.activation} backward`;
    case 'dropout':
      return 'dropout';
    case 'batchnorm forward':
      return 'batchnorm train forward';
    case 'optimizer':
      return `${spec.kind} update`;
    default:
      return spec.family;
  }
}

/**
 * Pairs the compiled step's dispatches with the derived kernel calls, in order: each call owns
 * the dispatches whose labels start with its expected label (a split-K matmul's reduce, a
 * column sum's or the loss's finishing pass). Returns undefined when they do not line up.
 */
export function pairDispatches(dispatches: readonly Dispatch[], kernels: readonly KernelUse[]): KernelUse[] | undefined {
  const owners: KernelUse[] = [];
  let i = 0;
  for (const k of kernels) {
    const expected = expectedLabel(k);
    if (i >= dispatches.length || !dispatches[i].label.startsWith(expected)) return undefined;
    owners.push(k);
    i++;
    while (i < dispatches.length && dispatches[i].label.startsWith(expected)) {
      owners.push(k);
      i++;
    }
  }
  return i === dispatches.length ? owners : undefined;
}

/**
 * Times every dispatch of the model's compiled training step at `batch` (compiled by an
 * earlier fit), the median over `runs` runs, and attributes each to its kernel call.
 */
export async function stepBreakdown(
  preset: Preset,
  batch: number,
  kernels: readonly KernelUse[],
  timer: DispatchTimer,
  runs: number,
): Promise<StepBreakdown> {
  const step = await preset.model.compiledStep('train', batch);
  const times = await timer.perDispatch(step.dispatches, runs);
  const owners = pairDispatches(step.dispatches, kernels);
  const dispatches = step.dispatches.map((d, i): DispatchTime => {
    const owner = owners?.[i];
    const described = owner && describe(owner.spec, owner.use);
    return { label: d.label, use: owner?.use ?? d.label, kernel: described?.name ?? d.label, shape: described?.shape ?? '', ms: times[i] };
  });
  const totalMs = times.reduce((a, b) => a + b, 0);
  const byKernel = new Map<string, { ms: number; calls: Set<string> }>();
  for (const d of dispatches) {
    const entry = byKernel.get(d.kernel) ?? { ms: 0, calls: new Set<string>() };
    entry.ms += d.ms;
    entry.calls.add(d.use);
    byKernel.set(d.kernel, entry);
  }
  const kernelShares = [...byKernel.entries()]
    .map(([kernel, e]) => ({ kernel, ms: e.ms, share: e.ms / totalMs, calls: e.calls.size }))
    .sort((a, b) => b.ms - a.ms);
  return { dispatches, kernels: kernelShares, totalMs, matched: owners !== undefined };
}
