/**
 * `npm run bench`: kernel and training throughput of webgpu-dl, side by side with TF.js'
 * WebGPU backend on the same Dawn adapter, in one run. `--help` lists the options.
 *
 * 1. Kernels: every kernel family over the shapes the presets run (every GEMM of every
 *    layer's forward and backward at the preset's batch size, derived in bench/shapes.ts; the
 *    breakdown pairs that list with the compiled step's dispatches) plus square matmuls.
 *    TF.js runs the square matmuls and the GEMMs of the --tfjs-matmul presets.
 * 2. Training: samples/s of whole training steps per preset, for both engines, and where the
 *    engine's step spends its time, dispatch by dispatch.
 * 3. A table on stdout (stderr with --json, which prints the results as one JSON object), and
 *    the JSON, a markdown report and an SVG chart of the ratios under bench/results/.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createDevice, type Device } from '../src/device/device.js';
import type { AdapterChoice } from '../src/device/adapter.js';
import { presets } from '../src/nn/presets.js';
import { resolveOptimizer } from '../src/nn/optimizers.js';
import { OPTIMIZER_STATE_SLOTS, type OptimizerKind } from '../src/kernels/optimizer.js';
import { candidateRates, memoryChoiceStore, pickedKernel } from './candidates.js';
import { buildCase, describe, type KernelCase } from './kernels.js';
import { familySelected, HELP, parseOptions, type BenchOptions } from './options.js';
import { startTfjs, tfjsMatmulMs, tfjsTrainingThroughput, type TfjsPeer } from './peer-tfjs.js';
import { candidateChart, fmt, fmtRatio, kernelRowText, markdownReport, ratioChart, readmeSection, summaryText } from './report.js';
import type { BenchResults, BreakdownResult, Goal, KernelResult, TrainingResult } from './results-types.js';
import { square, stepFlops, trainingKernels, type KernelSpec, type KernelUse } from './shapes.js';
import { DispatchTimer, type RepOptions } from '../src/runtime/timing.js';
import { EngineTrainer, stepBreakdown } from './training.js';

/** Sizes and time budgets: the full run, and the smoke test. */
interface Plan {
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
  /** Whether every matmul candidate is timed on the presets' GEMMs too (always on the squares). */
  candidatesOnPresets: boolean;
}

const FULL: Plan = {
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

const QUICK: Plan = {
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

const clamp = (value: number, [lo, hi]: [number, number]) => Math.min(hi, Math.max(lo, value));

function adapterName(device: Device): string {
  const a = device.adapter;
  const what = [a.vendor, a.architecture].filter(Boolean).join(' ');
  return `${a.description || a.device || 'unknown adapter'}${what ? ` (${what})` : ''}`;
}

function fileBase(device: Device, date: string, options: BenchOptions, argv: readonly string[]): string {
  const a = device.adapter;
  const adapter = (a.architecture || a.description || a.vendor || 'adapter').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
  const narrowed = argv.some((arg) => ['--kernels', '--presets', '--no-tfjs', '--no-training', '--reps', '--tfjs-steps'].includes(arg));
  return `${date}-${adapter}${options.quick ? '-quick' : narrowed ? '-partial' : ''}`;
}

/** The kernel cases: square matmuls and their variants, then every kernel call of the presets' steps, deduplicated. */
function kernelCases(plan: Plan, options: BenchOptions, presetKernels: Map<string, KernelUse[]>): KernelCase[] {
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

/**
 * GPU timestamps where the adapter has them and they agree with the wall clock on one matmul
 * (within a factor of 1.5: a CPU adapter's timestamps could be anything), else the wall clock.
 */
async function chooseClock(device: Device, size: number): Promise<{ timer: DispatchTimer; clockCheck?: BenchResults['clockCheck'] }> {
  const wall = new DispatchTimer(device, 'wall-clock');
  if (!device.timestamps) return { timer: wall };
  const stamps = new DispatchTimer(device, 'gpu-timestamps');
  const built = await buildCase(device, describe({ family: 'matmul', gemm: square(size) }, 'clock check'));
  try {
    const reps = { warmup: 1, reps: 5, seconds: 0, minReps: 1, maxReps: 5, onceAboveMs: Infinity };
    const timestampsMs = (await stamps.perCall(built.dispatches, reps)).ms;
    const wallMs = (await wall.perCall(built.dispatches, reps)).ms;
    const agree = timestampsMs > 0 && Math.max(timestampsMs / wallMs, wallMs / timestampsMs) < 1.5;
    return { timer: agree ? stamps : wall, clockCheck: { shape: `${size}×${size}×${size}`, timestampsMs, wallMs } };
  } finally {
    for (const b of built.buffers) b.destroy();
  }
}

/** TF.js runs the square matmuls and the GEMMs of the --tfjs-matmul presets (its big GEMMs take seconds each here). */
function peerRunsMatmul(options: BenchOptions, c: KernelCase): boolean {
  return c.uses.some((use) => use.startsWith('square') || options.tfjsMatmul.includes(use.split(' ')[0]));
}

async function main(argv: readonly string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(argv);
  } catch (err) {
    process.stderr.write(`bench: ${(err as Error).message}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const started = performance.now();
  // With --json, stdout holds the JSON object alone: anything a library logs goes to stderr.
  if (options.json) console.log = console.error;
  const table = options.json ? process.stderr : process.stdout;
  const say = (text = '') => table.write(`${text}\n`);
  const plan = options.quick ? QUICK : FULL;
  const notes: string[] = [];
  const date = new Date().toISOString().slice(0, 10);
  const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
  const loadBefore = loadavg()[0];

  // The device tunes its matmuls as `webgpu-dl train` does, afresh (a cache that lives for this run).
  const adapterChoice = (process.env.WEBGPU_DL_ADAPTER as AdapterChoice | undefined) ?? 'auto';
  const device = await createDevice({ adapter: adapterChoice, tuning: 'measure', choiceStore: memoryChoiceStore() });
  const { timer, clockCheck } = await chooseClock(device, plan.clockCheckSize);
  let peer: TfjsPeer | undefined;
  if (options.tfjs) {
    try {
      peer = await startTfjs();
    } catch (err) {
      notes.push(`TF.js' WebGPU backend did not start: ${(err as Error).message}`);
    }
  }
  const adapter = adapterName(device);
  say(`webgpu-dl bench — ${date} — ${adapter}`);
  say(`kernels timed by ${timer.clock}${peer ? `; peer: TF.js ${peer.version} WebGPU on ${peer.adapter}` : '; no peer'}; load average ${loadBefore.toFixed(1)}`);

  const batchOf = (name: string) => plan.batch ?? presets[name]().fit.batchSize;
  const presetKernels = new Map<string, KernelUse[]>();
  for (const name of options.presets) {
    const preset = presets[name]();
    presetKernels.set(name, trainingKernels(preset.model, resolveOptimizer(preset.optimizer).kind, batchOf(name), name));
  }

  // 1. Kernels.
  const kernels: KernelResult[] = [];
  const cases = options.kernels?.length === 0 ? [] : kernelCases(plan, options, presetKernels);
  if (cases.length) say(`\nKernels (${cases.length} cases; ms per call)`);
  for (const c of cases) {
    let ours: KernelResult;
    try {
      const built = await buildCase(device, c);
      // A matmul the engine splits along K on its own says so in its first dispatch's label.
      const split = c.gemm && !c.gemm.splitK ? /split (\d+)/.exec(built.dispatches[0].label) : null;
      const name = split ? `${c.name} (split-K ${split[1]})` : c.name;
      const repOptions = { ...plan.kernelReps, warmup: options.warmup, reps: options.reps };
      const { ms, reps } = await timer.perCall(built.dispatches, repOptions).finally(() => built.buffers.forEach((b) => b.destroy()));
      ours = { name, shape: c.shape, ms, engine: 'webgpu-dl', family: c.family, uses: c.uses, reps };
      if (c.flops) ours.gflops = c.flops / ms / 1e6;
      if (c.bytes) ours.gbps = c.bytes / ms / 1e6;
      // The tuner's pick, and every candidate beside it on the squares and where TF.js runs the shape too.
      if (c.gemm && !c.gemm.kernel) {
        ours.picked = pickedKernel(built.dispatches);
        const square = c.uses.some((use) => use.startsWith('square'));
        if (square || (plan.candidatesOnPresets && peerRunsMatmul(options, c))) ours.candidates = await candidateRates(device, timer, c, repOptions);
      }
    } catch (err) {
      notes.push(`kernel ${c.name} ${c.shape} failed: ${(err as Error).message}`);
      continue;
    }
    kernels.push(ours);
    let theirs: KernelResult | undefined;
    if (peer && c.gemm && peerRunsMatmul(options, c)) {
      try {
        const peerReps = (warmMs: number) => options.reps ?? clamp(Math.round((plan.peerMatmul.seconds * 1000) / warmMs), [plan.peerMatmul.minReps, plan.peerMatmul.maxReps]);
        const { ms, reps } = await tfjsMatmulMs(peer, c.gemm, { reps: peerReps });
        theirs = { name: ours.name, shape: c.shape, ms, gflops: c.flops! / ms / 1e6, engine: 'tfjs-webgpu', family: c.family, uses: c.uses, reps };
        kernels.push(theirs);
      } catch (err) {
        notes.push(`TF.js matmul ${c.shape} failed: ${(err as Error).message}`);
      }
    }
    say(kernelRowText(ours, theirs));
  }
  const matmulRates = kernels.filter((k) => k.engine === 'webgpu-dl' && k.gflops !== undefined).map((k) => k.gflops!);
  const bestMatmulGflops = matmulRates.length ? Math.max(...matmulRates) : null;

  // 2. Training.
  const training: TrainingResult[] = [];
  const breakdown: BreakdownResult[] = [];
  const elapsed = () => `${Math.round((performance.now() - started) / 1000)} s`;
  if (cases.length) say(`(kernels done at ${elapsed()})`);
  const trained = options.training ? options.presets : [];
  if (trained.length) say('\nTraining (samples/s of whole steps)');
  for (const name of trained) {
    const batch = batchOf(name);
    const uses = presetKernels.get(name)!;
    const flops = stepFlops(uses);
    const preset = presets[name]();
    // The engine is timed before and after the peer, which takes minutes: the load that other
    // jobs put on this CPU then weighs on both alike. Its figure covers both timings.
    let trainer: EngineTrainer | undefined;
    let steps = 0;
    const engineMs: number[] = [];
    try {
      trainer = await EngineTrainer.start(device, preset, batch, options.warmup);
      steps = options.reps ?? clamp(Math.round((plan.trainSeconds * 1000) / trainer.warmupStepMs), plan.trainSteps);
      engineMs.push(await trainer.time(steps));
      say(`${name.padEnd(12)} webgpu-dl   batch ${batch}: ${fmt((batch * steps * 1000) / engineMs[0])} samples/s (${steps} steps; at ${elapsed()})`);
      if (options.breakdown.includes(name)) {
        const stepMs = engineMs[0] / steps;
        const b = await stepBreakdown(preset, batch, uses, timer, plan.breakdownRuns);
        if (!b.matched) notes.push(`${name}: the compiled step's dispatches did not line up with bench/shapes.ts' kernel list; its breakdown is by dispatch label only`);
        breakdown.push({ preset: name, batchSize: batch, dispatchMs: b.totalMs, stepMs, matched: b.matched, kernels: b.kernels, dispatches: b.dispatches });
        const top = b.kernels.slice(0, 4).map((k) => `${k.kernel} ${(100 * k.share).toFixed(0)}%`).join(', ');
        say(`${''.padEnd(12)} where the time goes: ${top}`);
      }
    } catch (err) {
      notes.push(`${name}: webgpu-dl training failed: ${(err as Error).message}`);
      trainer = undefined;
    }
    let theirs: TrainingResult | undefined;
    if (peer) {
      try {
        const warmupBatch = Math.min(batch, plan.peerWarmupBatch);
        const run = await tfjsTrainingThroughput(peer, presets[name]().model, preset.optimizer, batch, {
          warmup: Math.max(1, options.warmup),
          warmupBatch,
          retimeBelowMs: plan.peerRetimeBelowMs,
          steps: (stepMs) => options.tfjsSteps ?? clamp(Math.round((plan.peerTrainSeconds * 1000) / stepMs), plan.peerTrainSteps),
        });
        theirs = {
          preset: name, engine: 'tfjs-webgpu', batchSize: batch, samplesPerSec: run.samplesPerSec, stepGflops: (flops * run.samplesPerSec) / batch / 1e9,
          steps: run.steps, warmupBatch, compiledWhileTimed: run.compiledWhileTimed,
        };
        say(`${name.padEnd(12)} TF.js       batch ${batch}: ${fmt(run.samplesPerSec)} samples/s (${run.steps} steps; ${run.compiledWhileTimed} pipelines compiled while timed; at ${elapsed()})`);
        if (run.compiledWhileTimed) {
          const n = run.compiledWhileTimed;
          notes.push(`${name}: TF.js compiled ${n} pipeline${n === 1 ? '' : 's'} during its timed steps (a full step after its warm-up at batch ${warmupBatch}), which lowers its figure by that compile time`);
        }
      } catch (err) {
        notes.push(`${name}: TF.js training failed: ${(err as Error).message}`);
      }
      if (trainer) {
        try {
          engineMs.push(await trainer.time(steps));
        } catch (err) {
          notes.push(`${name}: webgpu-dl training failed after the peer: ${(err as Error).message}`);
        }
      }
    }
    preset.model.dispose();
    if (engineMs.length) {
      const samplesPerSec = (batch * steps * engineMs.length * 1000) / engineMs.reduce((a, b) => a + b, 0);
      const stepGflops = (flops * samplesPerSec) / batch / 1e9;
      training.push({
        preset: name, engine: 'webgpu-dl', batchSize: batch, samplesPerSec, stepGflops, steps: steps * engineMs.length,
        fractionOfBestMatmul: bestMatmulGflops ? stepGflops / bestMatmulGflops : undefined,
        samplesPerSecEach: engineMs.map((ms) => (batch * steps * 1000) / ms),
      });
      const ratio = theirs ? `, ${fmtRatio(samplesPerSec / theirs.samplesPerSec)} TF.js` : '';
      say(`${name.padEnd(12)} webgpu-dl   ${fmt(samplesPerSec)} samples/s over ${engineMs.length} timing${engineMs.length > 1 ? 's (before and after TF.js)' : ''}, ${fmt(stepGflops)} GFLOP/s${ratio}`);
    }
    if (theirs) training.push(theirs);
  }

  // 3. Ratios, goals, outputs.
  const ratios: BenchResults['ratios'] = { training: [], matmul: [] };
  for (const name of options.presets) {
    const ours = training.find((t) => t.preset === name && t.engine === 'webgpu-dl');
    const theirs = training.find((t) => t.preset === name && t.engine === 'tfjs-webgpu');
    if (ours && theirs) ratios.training.push({ preset: name, ratio: ours.samplesPerSec / theirs.samplesPerSec });
  }
  for (const k of kernels.filter((r) => r.engine === 'tfjs-webgpu')) {
    const ours = kernels.find((r) => r.engine === 'webgpu-dl' && r.name === k.name && r.shape === k.shape)!;
    ratios.matmul.push({ name: k.name, shape: k.shape, use: k.uses[0], ratio: k.ms / ours.ms });
  }
  const goals = goalsOf(options, plan, training, kernels, bestMatmulGflops);
  const loadAfter = loadavg()[0];
  notes.push(`load average (1 min) ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end, on ${availableParallelism()} cores: other jobs share this CPU, and SwiftShader runs on it; ratios are side by side, bare times are not comparable across runs`);
  if (clockCheck) {
    const agree = timer.clock === 'gpu-timestamps';
    notes.push(
      `clock check, matmul ${clockCheck.shape}: ${fmt(clockCheck.timestampsMs)} ms per call by GPU timestamps, ${fmt(clockCheck.wallMs)} ms by the wall clock: ` +
        (agree
          ? 'the timestamps are meaningful and are used (Dawn quantizes them to 65.5 µs steps; short kernels are averaged over many passes)'
          : 'they disagree, so kernels are timed by the wall clock'),
    );
  }
  const results: BenchResults = {
    adapter,
    version: packageVersion(),
    bestMatmulGflops,
    kernels,
    training,
    date,
    command,
    clock: timer.clock,
    clockCheck,
    peer: peer ? { name: 'tfjs-webgpu', version: peer.version, adapter: peer.adapter } : undefined,
    ratios,
    breakdown,
    goals,
    notes,
    seconds: (performance.now() - started) / 1000,
  };

  say('');
  say(summaryText(results));
  if (options.save) {
    mkdirSync(options.out, { recursive: true });
    const base = fileBase(device, date, options, argv);
    const path = (ext: string) => join(options.out, `${base}.${ext}`);
    writeFileSync(path('json'), `${JSON.stringify(results, null, 1)}\n`);
    writeFileSync(path('md'), markdownReport(results, `${base}.svg`, `${base}-candidates.svg`));
    writeFileSync(path('svg'), ratioChart(results));
    writeFileSync(join(options.out, `${base}-candidates.svg`), candidateChart(results));
    say(`\nwrote ${path('json')}, ${path('md')}, ${path('svg')}, ${base}-candidates.svg`);
    if (options.updateReadme) {
      updateReadme(readmeSection(results, path('md'), path('svg')));
      say('updated the Performance section of README.md');
    }
  }
  if (options.json) process.stdout.write(`${JSON.stringify(results)}\n`);
  device.destroy();
  return 0;
}

function goalsOf(options: BenchOptions, plan: Plan, training: TrainingResult[], kernels: KernelResult[], best: number | null): Goal[] {
  const goals: Goal[] = [];
  const find = (preset: string, engine: TrainingResult['engine']) => training.find((t) => t.preset === preset && t.engine === engine);
  for (const preset of ['mnist-cnn', 'mnist-conv3']) {
    const ours = find(preset, 'webgpu-dl');
    const theirs = find(preset, 'tfjs-webgpu');
    const ratio = ours && theirs ? ours.samplesPerSec / theirs.samplesPerSec : undefined;
    goals.push({
      goal: `${preset} training samples/s vs TF.js WebGPU`,
      target: '≥ 20×',
      measured: ratio === undefined ? 'not measured' : `${fmtRatio(ratio)} (${fmt(ours!.samplesPerSec)} vs ${fmt(theirs!.samplesPerSec)} samples/s)`,
      met: ratio === undefined ? null : ratio >= 20,
    });
  }
  for (const t of training.filter((r) => r.engine === 'webgpu-dl')) {
    const fraction = t.fractionOfBestMatmul;
    goals.push({
      goal: `${t.preset} step FLOP rate vs the engine's best matmul`,
      target: '≥ 50%',
      measured: fraction === undefined ? 'not measured' : `${(100 * fraction).toFixed(1)}% (${fmt(t.stepGflops)} of ${fmt(best)} GFLOP/s)`,
      met: fraction === undefined ? null : fraction >= 0.5,
    });
  }
  const m512 = kernels.find((k) => k.engine === 'webgpu-dl' && k.name === 'matmul' && k.shape === '512×512×512');
  goals.push({
    goal: 'matmul 512×512×512',
    target: '≥ 8 GFLOP/s',
    measured: m512 ? `${fmt(m512.gflops)} GFLOP/s` : options.quick || !plan.squares.includes(512) ? 'not measured (--quick)' : 'not measured',
    met: m512 ? m512.gflops! >= 8 : null,
  });
  return goals;
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Replaces the body of README.md's "## Performance" section (it must exist, before "## Where things live"). */
function updateReadme(body: string): void {
  const readme = readFileSync('README.md', 'utf8');
  const start = readme.indexOf('\n## Performance\n');
  if (start < 0) throw new Error('README.md has no "## Performance" section');
  const bodyStart = start + '\n## Performance\n'.length;
  const next = readme.indexOf('\n## ', bodyStart);
  const end = next < 0 ? readme.length : next;
  writeFileSync('README.md', `${readme.slice(0, bodyStart)}\n${body}${readme.slice(end)}`);
}

process.exitCode = await main(process.argv.slice(2));
// Dawn's and TF.js' handles would keep Node alive.
process.exit();
