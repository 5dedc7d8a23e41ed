/**
 * Every matmul candidate on the bench's matmul shapes, beside the one the engine's tuner picked.
 * The bench's device tunes (tuning 'measure', choices in a memoryChoiceStore: this run only), so
 * a matmul case built without a forced kernel runs the tuner's pick, which its dispatch label
 * names; here every candidate is then built with its kernel forced and timed like the case.
 */
import type { Device } from '../src/device/device.js';
import { matmulCandidates } from '../src/kernels/matmul.js';
import type { Dispatch } from '../src/runtime/dispatch.js';
import type { DispatchTimer, RepOptions } from '../src/runtime/timing.js';
import { buildCase, describe, type KernelCase } from './kernels.js';

/** The kernel a matmul's dispatches run, from their label `... (kernel)`. */
export function pickedKernel(dispatches: readonly Dispatch[]): string | undefined {
  return /\((\w+)\)/.exec(dispatches[0]?.label ?? '')?.[1];
}

/** GFLOP/s of every candidate for the case's shape (the case's own kernel choice left open). */
export async function candidateRates(device: Device, timer: DispatchTimer, c: KernelCase, reps: RepOptions): Promise<Record<string, number>> {
  if (c.spec.family !== 'matmul' || !c.flops) return {};
  const g = c.spec.gemm;
  const rates: Record<string, number> = {};
  const params = { m: g.m, n: g.n, k: g.k, transA: g.transA, transB: g.transB };
  for (const kernel of matmulCandidates(device, params)) {
    const built = await buildCase(device, describe({ family: 'matmul', gemm: { ...g, kernel } }, c.uses[0]));
    try {
      rates[kernel] = c.flops / (await timer.perCall(built.dispatches, reps)).ms / 1e6;
    } finally {
      built.buffers.forEach((b) => b.destroy());
    }
  }
  return rates;
}
