// Over 350 lines: main()'s steps (plan, run, report) share one BenchRun and read best together.
/**
 * `npm run bench`: kernel and training throughput of webgpu-dl, side by side with TF.js'
 * WebGPU backend on the same Dawn adapter, in one run. `--help` lists the options.
 *
 * 1. Kernels: every kernel family over the shapes the presets run (every GEMM of every
 *    layer's forward and backward at the preset's batch size, derived in bench/shapes.ts; the
 *    breakdown pairs that list with the compiled step's dispatches) plus square matmuls.
 *    TF.js runs the square matmuls and the GEMMs of the --tfjs-matmul presets. Every tuned
 *    family's candidates beside the tuner's pick (bench/candidates.ts), the conv algorithm's
 *    included: each 3×3 stride-1 conv layer's forward and input gradient, Winograd or im2col.
 * 2. Training: samples/s of whole training steps per preset, for both engines, and where the
 *    engine's step spends its time, dispatch by dispatch.
 * 3. A table on stdout (stderr with --json, which prints the results as one JSON object), and
 *    the JSON, a markdown report, an SVG chart of the ratios and one of the tuned kernels'
 *    candidates under bench/results/. The clock is chosen in bench/clock.ts.
 * main() runs the steps in that order: start (the plan: device, clock, peer, kernel calls; the
 * sizes and cases are in bench/plan.ts), kernelSection and trainingSection (the runs), then
 * assemble and report. Goals and the README update sit at the end of this file.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { createDevice, type Device } from '../src/device/device.js';
import type { AdapterChoice } from '../src/device/adapter.js';
import { memoryChoiceStore } from '../src/device/kernel-choices.js';
import { presets } from '../src/nn/presets.js';
import { resolveOptimizer } from '../src/nn/optimizers.js';
import { candidateRates, isTuned, pickedCandidate } from './candidates.js';
import { buildCase } from './kernels.js';
import { chooseClock, CLOCK_CHECK_ROUNDS } from './clock.js';
import { HELP, parseOptions, type BenchOptions } from './options.js';
import { startTfjs, tfjsMatmulMs, tfjsTrainingThroughput, type TfjsPeer } from './peer-tfjs.js';
import { candidateChart } from './report-candidates.js';
import { fmt, fmtRatio } from './report-table.js';
import { kernelRowText, markdownReport, ratioChart, readmeSection, summaryText } from './report.js';
import type { BenchResults, BreakdownResult, Goal, KernelResult, TrainingResult } from './results-types.js';
import { stepFlops, trainingKernels, tunedConvs, type KernelUse } from './shapes.js';
import { DispatchTimer } from '../src/runtime/timing.js';
import { EngineTrainer, stepBreakdown } from './training.js';
import { clamp, FULL, kernelCases, peerRunsMatmul, QUICK, type Plan } from './plan.js';

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

/** What every step of a run shares: its options and plan, the device and timer, the peer, the notes. */
interface BenchRun {
  options: BenchOptions;
  plan: Plan;
  argv: readonly string[];
  device: Device;
  timer: DispatchTimer;
  clockCheck?: BenchResults['clockCheck'];
  peer?: TfjsPeer;
  adapter: string;
  date: string;
  started: number;
  loadBefore: number;
  notes: string[];
  /** Prints a line of the table (stderr with --json). */
  say: (text?: string) => void;
  /** Every kernel call of each preset's training step. */
  presetKernels: Map<string, KernelUse[]>;
  /** Each preset's conv layer directions whose algorithm the tuner chooses. */
  presetConvs: Map<string, KernelUse[]>;
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
  const run = await start(options, argv);
  const kernels = await kernelSection(run);
  const matmulRates = kernels.filter((k) => k.engine === 'webgpu-dl' && k.family === 'matmul' && k.gflops !== undefined).map((k) => k.gflops!);
  const bestMatmulGflops = matmulRates.length ? Math.max(...matmulRates) : null;
  const { training, breakdown } = await trainingSection(run, bestMatmulGflops);
  const results = assemble(run, kernels, training, breakdown, bestMatmulGflops);
  report(run, results);
  run.device.destroy();
  return 0;
}

/** Plan: the device (tuning as `webgpu-dl train` does, afresh), the clock, the peer, every preset's kernel calls. */
async function start(options: BenchOptions, argv: readonly string[]): Promise<BenchRun> {
  const started = performance.now();
  // With --json, stdout holds the JSON object alone: anything a library logs goes to stderr.
  if (options.json) console.log = console.error;
  const table = options.json ? process.stderr : process.stdout;
  const say = (text = '') => void table.write(`${text}\n`);
  const plan = options.quick ? QUICK : FULL;
  const notes: string[] = [];
  const date = new Date().toISOString().slice(0, 10);
  const loadBefore = loadavg()[0];

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

  const presetKernels = new Map<string, KernelUse[]>();
  const presetConvs = new Map<string, KernelUse[]>();
  for (const name of options.presets) {
    const preset = presets[name]();
    presetKernels.set(name, trainingKernels(preset.model, resolveOptimizer(preset.optimizer).kind, batchOf(plan, name), name));
    presetConvs.set(name, tunedConvs(preset.model, batchOf(plan, name), name));
  }
  return { options, plan, argv, device, timer, clockCheck, peer, adapter, date, started, loadBefore, notes, say, presetKernels, presetConvs };
}

const batchOf = (plan: Plan, name: string) => plan.batch ?? presets[name]().fit.batchSize;
const elapsed = (run: BenchRun) => `${Math.round((performance.now() - run.started) / 1000)} s`;

/** Run, part 1: every kernel case, with TF.js beside the matmuls it runs and every matmul candidate beside the tuner's pick. */
async function kernelSection(run: BenchRun): Promise<KernelResult[]> {
  const { options, plan, device, timer, peer, notes, say } = run;
  const kernels: KernelResult[] = [];
  const cases = options.kernels?.length === 0 ? [] : kernelCases(plan, options, run.presetKernels, run.presetConvs);
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
      // The tuner's pick, and every candidate beside it: for every tuned family's shapes, the
      // matmul's on the squares and (full runs) on the --matmul-candidates presets' GEMMs.
      if (isTuned(device, c)) {
        ours.picked = pickedCandidate(device, c, built.dispatches);
        const square = c.uses.some((use) => use.startsWith('square'));
        const presetGemm = plan.candidatesOnPresets && c.uses.some((use) => options.matmulCandidates.includes(use.split(' ')[0]));
        if (c.family !== 'matmul' || square || presetGemm) ours.candidates = await candidateRates(device, timer, c, repOptions);
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
  if (cases.length) say(`(kernels done at ${elapsed(run)})`);
  return kernels;
}

/** Run, part 2: whole training steps of every preset, both engines, and where the engine's step spends its time. */
async function trainingSection(run: BenchRun, bestMatmulGflops: number | null): Promise<{ training: TrainingResult[]; breakdown: BreakdownResult[] }> {
  const training: TrainingResult[] = [];
  const breakdown: BreakdownResult[] = [];
  const trained = run.options.training ? run.options.presets : [];
  if (trained.length) run.say('\nTraining (samples/s of whole steps)');
  for (const name of trained) {
    const result = await trainPreset(run, name, bestMatmulGflops);
    training.push(...result.training);
    if (result.breakdown) breakdown.push(result.breakdown);
  }
  return { training, breakdown };
}

async function trainPreset(run: BenchRun, name: string, bestMatmulGflops: number | null): Promise<{ training: TrainingResult[]; breakdown?: BreakdownResult }> {
  const { options, plan, device, timer, peer, notes, say } = run;
  const training: TrainingResult[] = [];
  let breakdown: BreakdownResult | undefined;
  const batch = batchOf(plan, name);
  const uses = run.presetKernels.get(name)!;
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
    say(`${name.padEnd(12)} webgpu-dl   batch ${batch}: ${fmt((batch * steps * 1000) / engineMs[0])} samples/s (${steps} steps; at ${elapsed(run)})`);
    if (options.breakdown.includes(name)) {
      const stepMs = engineMs[0] / steps;
      // Paired with the step's kernel calls as compiled: the conv algorithms the tuner chose (Winograd's stages).
      const compiled = trainingKernels(preset.model, resolveOptimizer(preset.optimizer).kind, batch, name, (layer) => layer.algorithmsAt(batch));
      const b = await stepBreakdown(preset, batch, compiled, timer, plan.breakdownRuns);
      if (!b.matched) notes.push(`${name}: the compiled step's dispatches did not line up with bench/shapes.ts' kernel list; its breakdown is by dispatch label only`);
      breakdown = { preset: name, batchSize: batch, dispatchMs: b.totalMs, stepMs, matched: b.matched, kernels: b.kernels, dispatches: b.dispatches };
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
      const peerRun = await tfjsTrainingThroughput(peer, presets[name]().model, preset.optimizer, batch, {
        warmup: Math.max(1, options.warmup),
        warmupBatch,
        retimeBelowMs: plan.peerRetimeBelowMs,
        steps: (stepMs) => options.tfjsSteps ?? clamp(Math.round((plan.peerTrainSeconds * 1000) / stepMs), plan.peerTrainSteps),
      });
      theirs = {
        preset: name, engine: 'tfjs-webgpu', batchSize: batch, samplesPerSec: peerRun.samplesPerSec, stepGflops: (flops * peerRun.samplesPerSec) / batch / 1e9,
        steps: peerRun.steps, warmupBatch, compiledWhileTimed: peerRun.compiledWhileTimed,
      };
      say(`${name.padEnd(12)} TF.js       batch ${batch}: ${fmt(peerRun.samplesPerSec)} samples/s (${peerRun.steps} steps; ${peerRun.compiledWhileTimed} pipelines compiled while timed; at ${elapsed(run)})`);
      if (peerRun.compiledWhileTimed) {
        const n = peerRun.compiledWhileTimed;
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
  return { training, breakdown };
}

/** Report, part 1: the ratios, goals and notes, as one results object. */
function assemble(run: BenchRun, kernels: KernelResult[], training: TrainingResult[], breakdown: BreakdownResult[], bestMatmulGflops: number | null): BenchResults {
  const { options, plan, timer, clockCheck, peer, notes } = run;
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
  notes.push(`load average (1 min) ${run.loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end, on ${availableParallelism()} cores: other jobs share this CPU, and SwiftShader runs on it; ratios are side by side, bare times are not comparable across runs`);
  if (clockCheck) {
    const agree = timer.clock === 'gpu-timestamps';
    notes.push(
      `clock check, matmul ${clockCheck.shape}, the least disturbed of ${CLOCK_CHECK_ROUNDS} interleaved rounds: ${fmt(clockCheck.timestampsMs)} ms per call by GPU timestamps, ${fmt(clockCheck.wallMs)} ms by the wall clock: ` +
        (agree
          ? 'the timestamps are meaningful and are used (Dawn quantizes them to 65.5 µs steps; a pass holds as many calls of a short kernel as it takes to span many steps)'
          : 'they disagree, so kernels are timed by the wall clock'),
    );
  }
  return {
    adapter: run.adapter,
    version: packageVersion(),
    bestMatmulGflops,
    kernels,
    training,
    date: run.date,
    command: `npm run bench${run.argv.length ? ` -- ${run.argv.join(' ')}` : ''}`,
    clock: timer.clock,
    clockCheck,
    peer: peer ? { name: 'tfjs-webgpu', version: peer.version, adapter: peer.adapter } : undefined,
    ratios,
    breakdown,
    goals,
    notes,
    seconds: (performance.now() - run.started) / 1000,
  };
}

/** Report, part 2: the summary table, the files (JSON, markdown, the two SVG charts), the README, the JSON on stdout. */
function report(run: BenchRun, results: BenchResults): void {
  const { options, say } = run;
  say('');
  say(summaryText(results));
  if (options.save) {
    mkdirSync(options.out, { recursive: true });
    const base = fileBase(run.device, run.date, options, run.argv);
    const path = (ext: string) => join(options.out, `${base}.${ext}`);
    const candidatesSvg = `${base}-candidates.svg`;
    writeFileSync(path('json'), `${JSON.stringify(results, null, 1)}\n`);
    writeFileSync(path('md'), markdownReport(results, `${base}.svg`, candidatesSvg));
    writeFileSync(path('svg'), ratioChart(results));
    writeFileSync(join(options.out, candidatesSvg), candidateChart(results));
    say(`\nwrote ${path('json')}, ${path('md')}, ${path('svg')}, ${join(options.out, candidatesSvg)}`);
    if (options.updateReadme) {
      updateReadme(readmeSection(results, path('md'), path('svg'), join(options.out, candidatesSvg)));
      say('updated the Performance section of README.md');
    }
  }
  if (options.json) process.stdout.write(`${JSON.stringify(results)}\n`);
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
