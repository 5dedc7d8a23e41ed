/**
 * Every candidate of every tuned kernel family, beside the one the engine's tuner picked: the
 * matmul's kernels, im2col's forms, max pool backward's scatter and gather, and the conv
 * algorithm (Winograd against im2col + matmul, per direction). The bench's device tunes
 * (tuning 'measure', choices in a memoryChoiceStore: this run only), so a case built without
 * a forced candidate runs the tuner's pick, which the device's choices (or, for the matmul,
 * its dispatch label) name; here every candidate is then built forced and timed like the case.
 */
import type { Device } from '../src/device/device.js';
import { convAlgorithmCandidates, convTuningKey } from '../src/kernels/conv-algorithm.js';
import { im2colCandidates, im2colTuningKey } from '../src/kernels/im2col.js';
import { matmulCandidates } from '../src/kernels/matmul.js';
import { maxPoolBackwardCandidates, maxPoolBackwardTuningKey } from '../src/kernels/pool.js';
import type { Dispatch } from '../src/runtime/dispatch.js';
import type { DispatchTimer, RepOptions } from '../src/runtime/timing.js';
import { buildCase, describe, type KernelCase } from './kernels.js';
import type { KernelSpec } from './shapes.js';

/** The kernel a matmul's dispatches run, from their label `... (kernel)`. */
export function pickedKernel(dispatches: readonly Dispatch[]): string | undefined {
  return /\((\w+)\)/.exec(dispatches[0]?.label ?? '')?.[1];
}

/** A tuned family's candidates for a case, each as the spec that forces it; none for an untuned family. */
function forcedCandidates(device: Device, spec: KernelSpec): Record<string, KernelSpec> {
  const forced = <K extends string>(candidates: readonly K[], force: (candidate: K) => KernelSpec) => Object.fromEntries(candidates.map((c) => [c, force(c)]));
  switch (spec.family) {
    case 'matmul': {
      const g = spec.gemm;
      return forced(matmulCandidates(device, { m: g.m, n: g.n, k: g.k, transA: g.transA, transB: g.transB }), (kernel) => ({ ...spec, gemm: { ...g, kernel } }));
    }
    case 'im2col':
      return forced(im2colCandidates(spec.conv), (kernel) => ({ ...spec, kernel }));
    case 'max pool backward':
      return forced(maxPoolBackwardCandidates(spec.pool), (kernel) => ({ ...spec, kernel }));
    case 'conv forward':
    case 'conv input gradient':
    case 'conv weight gradient':
      return forced(convAlgorithmCandidates(spec.conv), (algorithm) => ({ ...spec, algorithm }));
    default:
      return {};
  }
}

/** Whether the tuner chooses among candidates for this case (a tuned family, more than one candidate, none forced). */
export function isTuned(device: Device, c: KernelCase): boolean {
  const spec = c.spec;
  const forced = (spec.family === 'matmul' && spec.gemm.kernel) || ('kernel' in spec && spec.kernel) || ('algorithm' in spec && spec.algorithm);
  return !forced && Object.keys(forcedCandidates(device, spec)).length > 1;
}

/** The candidate the tuner picked for the case built as `dispatches` (after it was built: the choice is made then). */
export function pickedCandidate(device: Device, c: KernelCase, dispatches: readonly Dispatch[]): string | undefined {
  const spec = c.spec;
  const stored = (key: string) => device.kernelChoices.get(key)?.kernel;
  switch (spec.family) {
    case 'matmul':
      return pickedKernel(dispatches);
    case 'im2col':
      return stored(im2colTuningKey(spec.conv));
    case 'max pool backward':
      return stored(maxPoolBackwardTuningKey(spec.pool));
    case 'conv forward':
      return stored(convTuningKey(spec.conv, spec.filters, 'forward'));
    case 'conv input gradient':
      return stored(convTuningKey(spec.conv, spec.filters, 'input gradient'));
    case 'conv weight gradient':
      return stored(convTuningKey(spec.conv, spec.filters, 'weight gradient', spec.forward));
    default:
      return undefined;
  }
}

/**
 * Every candidate's rate on the case's shape: GFLOP/s where the case has FLOPs (matmul, conv),
 * else GB/s (its bytes: every input read once, every output written once).
 */
export async function candidateRates(device: Device, timer: DispatchTimer, c: KernelCase, reps: RepOptions): Promise<Record<string, number>> {
  const work = c.flops ?? c.bytes;
  if (!work) return {};
  const rates: Record<string, number> = {};
  for (const [candidate, spec] of Object.entries(forcedCandidates(device, c.spec))) {
    const built = await buildCase(device, describe(spec, c.uses[0]));
    try {
      rates[candidate] = work / (await timer.perCall(built.dispatches, reps)).ms / 1e6;
    } finally {
      built.buffers.forEach((b) => b.destroy());
    }
  }
  return rates;
}
