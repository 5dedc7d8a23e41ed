/**
 * The bench's plan: sizes and time budgets (the full run and the --quick smoke test), and the
 * kernel cases it times (square matmuls and their variants, then every kernel call of the
 * presets' steps, deduplicated).
 */
import { OPTIMIZER_STATE_SLOTS, type OptimizerKind } from '../src/kernels/optimizer.js';
import type { RepOptions } from '../src/runtime/timing.js';
import { describe, type KernelCase } from './kernels.js';
import { familySelected, type BenchOptions } from './options.js';
import { square, type KernelSpec, type KernelUse } from './shapes.js';

/** Sizes and time budgets: the full run, and the smoke test. */
export interface Plan {
  squares: number[];
  variantSize: number;
  /** The square matmul on which GPU timestamps are checked against the wall clock. */
  clockCheckSize: number;
  /** Batch size of every preset; undefined: the preset's own. */
  batch?: number;
  kernelReps: Omit<RepOptions, 'warmup' | 'reps'>;
  peerMatmul: Omit<RepOptions, 'warmup' | 'reps' | 'onceAboveMs'>;
  /** Engine training: timed steps fill about this many seconds, within [min, max]. */
  trainSeconds: number;
  trainSteps: [number, number];
  peerTrainSeconds: number;
  peerTrainSteps: [number, number];
  /**
   * TF.js warms up at this batch (or the preset's, if smaller): a full step takes minutes here.
   * Timed steps that still compiled pipelines are timed again when they took under peerRetimeBelowMs.
   */
  peerWarmupBatch: number;
  peerRetimeBelowMs: number;
  /** Runs of the step whose per-dispatch median the breakdown reports. */
  breakdownRuns: number;
  /**
   * Whether every matmul candidate is timed on the --matmul-candidates presets' GEMMs too
   * (always on the squares; the other tuned families' candidates always, on every shape of
   * theirs the presets use).
   */
  candidatesOnPresets: boolean;
}

export const FULL: Plan = {
  squares: [256, 512, 1024],
  variantSize: 512,
  clockCheckSize: 256,
  kernelReps: { seconds: 0.3, minReps: 2, maxReps: 100, onceAboveMs: 1500 },
  peerMatmul: { seconds: 0.5, minReps: 1, maxReps: 20 },
  trainSeconds: 6,
  trainSteps: [1, 20],
  peerTrainSeconds: 20,
  peerTrainSteps: [1, 5],
  peerWarmupBatch: 16,
  peerRetimeBelowMs: 120_000,
  breakdownRuns: 3,
  candidatesOnPresets: true,
};

export const QUICK: Plan = {
  squares: [32, 64],
  variantSize: 64,
  clockCheckSize: 128,
  batch: 8,
  kernelReps: { seconds: 0.02, minReps: 2, maxReps: 20, onceAboveMs: 1000 },
  peerMatmul: { seconds: 0.02, minReps: 1, maxReps: 5 },
  trainSeconds: 0.2,
  trainSteps: [1, 3],
  peerTrainSeconds: 0.2,
  peerTrainSteps: [1, 1],
  peerWarmupBatch: 8,
  peerRetimeBelowMs: 120_000,
  breakdownRuns: 1,
  candidatesOnPresets: false,
};

export const clamp = (value: number, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, value));

/**
 * The kernel cases: square matmuls and their variants, then every kernel call of the presets'
 * steps, then their conv layers' tuned algorithm choices (`presetConvs`), deduplicated.
 */
export function kernelCases(plan: Plan, options: BenchOptions, presetKernels: Map<string, KernelUse[]>, presetConvs: Map<string, KernelUse[]>): KernelCase[] {
  const cases = new Map<string, KernelCase>();
  const add = (spec: KernelSpec, use: string) => {
    const c = describe(spec, use);
    if (!familySelected(options, c.family)) return;
    const key = `${c.name}|${c.shape}`;
    const known = cases.get(key);
    if (known) known.uses.push(use);
    else cases.set(key, c);
  };
  for (const size of plan.squares) add({ family: 'matmul', gemm: square(size) }, 'square');
  // The kernel for devices without quads, for comparison (the same as above where there are none).
  for (const size of plan.squares) add({ family: 'matmul', gemm: square(size, { kernel: 'rows8' }) }, 'no-subgroups kernel (square; TF.js not run)');
  const v = plan.variantSize;
  for (const extra of [{ bias: true, relu: true }, { transA: true }, { transB: true }, { transA: true, transB: true }, { splitK: 4 }]) {
    add({ family: 'matmul', gemm: square(v, extra) }, 'square variant');
  }
  const uses = [...presetKernels.values()].flat();
  for (const u of uses) if (u.spec.family === 'matmul') add(u.spec, u.use);
  for (const u of uses) {
    if (u.spec.family === 'matmul') continue;
    add(u.spec, u.use);
    // The presets only max-pool: average pooling over the same shapes.
    if (u.spec.family === 'max pool forward' || u.spec.family === 'max pool backward') {
      add({ family: u.spec.family === 'max pool forward' ? 'avg pool forward' : 'avg pool backward', pool: u.spec.pool }, `${u.use} (as average pooling)`);
    }
  }
  for (const u of [...presetConvs.values()].flat()) add(u.spec, u.use);
  // Every optimizer's update, over the largest parameter count among the presets.
  let largest: { count: number; preset: string } | undefined;
  for (const u of uses) {
    if (u.spec.family === 'optimizer' && u.spec.count > (largest?.count ?? 0)) largest = { count: u.spec.count, preset: u.use.split(' ')[0] };
  }
  if (largest) {
    for (const kind of Object.keys(OPTIMIZER_STATE_SLOTS) as OptimizerKind[]) {
      add({ family: 'optimizer', kind, count: largest.count }, `every optimizer at ${largest.preset}'s parameter count`);
    }
  }
  return [...cases.values()];
}

/** TF.js runs the square matmuls and the GEMMs of the --tfjs-matmul presets (its big GEMMs take seconds each here). */
export function peerRunsMatmul(options: BenchOptions, c: KernelCase): boolean {
  return c.uses.some((use) => use.startsWith('square') || options.tfjsMatmul.includes(use.split(' ')[0]));
}
