/**
 * An ESTIMATE, not a measurement: the wall time each preset's full schedule would take on a
 * GPU, from the bench's step FLOPs (bench/shapes.ts: the GEMMs of a training step) and two
 * stated assumptions: a sustained matmul rate, and a fixed cost per kernel dispatch (the
 * design notes' "a dispatch costs tens of µs of CPU": the step is recorded on the CPU).
 *
 *   node scripts/run.mjs bench/gpu-estimate.ts [--tflops 10] [--dispatch-us 20]
 *
 * prints a Markdown table: per run, steps, GFLOP per step, kernel calls per step, total
 * TFLOP (training plus the validation and test forward passes) and the estimated time.
 */
import { parseArgs } from 'node:util';
import { presets } from '../src/nn/presets.js';
import { resolveOptimizer, type OptimizerKind } from '../src/nn/optimizers.js';
import { gemmFlops, stepFlops, trainingKernels } from './shapes.js';

/** The schedules of the README's table (scripts/pretrain.mjs trains the shipped ones). */
export const RUNS: { preset: string; label: string; optimizer?: OptimizerKind; epochs: number; batch: number; train: number; validation: number }[] = [
  { preset: 'mnist-conv3', label: "seed's SGD, 10 epochs", epochs: 10, batch: 100, train: 54000, validation: 6000 },
  { preset: 'mnist-conv3', label: 'Adam, 2 epochs (npm start)', optimizer: 'adam', epochs: 2, batch: 64, train: 54000, validation: 6000 },
  { preset: 'mnist-cnn', label: 'Adadelta 1.0, 12 epochs', epochs: 12, batch: 128, train: 60000, validation: 10000 },
  { preset: 'mnist-conv5', label: 'Adam, 10 epochs', epochs: 10, batch: 128, train: 60000, validation: 10000 },
  { preset: 'mnist-bn', label: 'Adam, 10 epochs', epochs: 10, batch: 128, train: 60000, validation: 10000 },
];

const TEST_IMAGES = 10000;

export interface Estimate {
  steps: number;
  stepGflop: number;
  callsPerStep: number;
  totalTflop: number;
  seconds: number;
}

/** The estimate for one run at `tflops` sustained and `dispatchUs` per kernel call. */
export function estimate(run: (typeof RUNS)[number], tflops: number, dispatchUs: number): Estimate {
  const { model, optimizer } = presets[run.preset]();
  const kind = run.optimizer ?? resolveOptimizer(optimizer).kind;
  const kernels = trainingKernels(model, kind, run.batch, run.preset);
  const stepsPerEpoch = Math.ceil(run.train / run.batch);
  const steps = stepsPerEpoch * run.epochs;
  // Inference: the forward GEMMs only, per sample (the step's forward GEMMs over its batch).
  const forwardPerSample = kernels.reduce((sum, k) => sum + (k.spec.family === 'matmul' && k.use.endsWith('forward') ? gemmFlops(k.spec.gemm) : 0), 0) / run.batch;
  const inferred = run.validation * run.epochs + TEST_IMAGES;
  const totalFlops = steps * stepFlops(kernels) + inferred * forwardPerSample;
  const evalSteps = Math.ceil(run.validation / run.batch) * run.epochs + Math.ceil(TEST_IMAGES / run.batch);
  const forwardCalls = kernels.filter((k) => k.use.endsWith('forward')).length;
  const seconds = totalFlops / (tflops * 1e12) + ((steps * kernels.length + evalSteps * forwardCalls) * dispatchUs) / 1e6;
  return { steps, stepGflop: stepFlops(kernels) / 1e9, callsPerStep: kernels.length, totalTflop: totalFlops / 1e12, seconds };
}

function main(): void {
  const { values } = parseArgs({ options: { tflops: { type: 'string', default: '10' }, 'dispatch-us': { type: 'string', default: '20' } } });
  const tflops = Number(values.tflops);
  const dispatchUs = Number(values['dispatch-us']);
  if (!(tflops > 0) || !(dispatchUs >= 0)) throw new Error('--tflops must be positive and --dispatch-us non-negative');
  console.log(`GPU wall time ESTIMATED at ${tflops} TFLOP/s sustained and ${dispatchUs} µs per kernel call (not measured):\n`);
  console.log('| preset | schedule | steps | GFLOP/step | kernel calls/step | TFLOP in all | estimate |');
  console.log('|:---|:---|---:|---:|---:|---:|---:|');
  for (const run of RUNS) {
    const e = estimate(run, tflops, dispatchUs);
    console.log(`| ${run.preset} | ${run.label} | ${e.steps} | ${e.stepGflop.toFixed(2)} | ${e.callsPerStep} | ${e.totalTflop.toFixed(1)} | ${e.seconds.toFixed(0)} s |`);
  }
}

main();
