/**
 * The engine's training speed in Node (Dawn through npm `webgpu`) and in headless Chromium
 * (Debian's /usr/bin/chromium through playwright-core, the browser bundle) on the same
 * SwiftShader, side by side in one run: the same presets, batch sizes, optimizer (SGD 0.01) and
 * random data, in interleaved rounds so that other jobs' load weighs on both alike. Besides
 * samples/s it reports the CPU each side burns per step (Node: the whole process and its main
 * thread; Chromium: its whole process tree, GPU process included) and, with --breakdown, the
 * training step's dispatches timed on each side by GPU timestamps, to tell slower kernels
 * (codegen) from host-side costs.
 *
 *   node scripts/run.mjs bench/node-vs-chromium.ts [--presets mnist-conv3:100,mnist-cnn:128]
 *        [--rounds 3] [--seconds 6] [--breakdown] [--no-unpaced] [--chromium PATH]
 *        [--chromium-priority equal|as-launched] [--chromium-session this|own] [--threads]
 *
 * Sides: Node with paced waits (the default, src/runtime/queue-pacer.ts), Node with dawn.node's
 * own waits (--no-unpaced leaves it out) and Chromium.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { browserOptions } from '../scripts/esbuild-options.mjs';
import { presets } from '../src/nn/presets.js';
import { median } from '../src/runtime/timing.js';
import { busiest, childrenMs, chromiumNice, mainThreadMs, threadCpu, workersRunnable } from './side-by-side/proc-stats.js';
import { Side, type DispatchTimes, type SideInfo } from './side-by-side/trainer.js';

const { values } = parseArgs({
  options: {
    presets: { type: 'string', default: 'mnist-conv3:100,mnist-cnn:128' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '6' },
    breakdown: { type: 'boolean', default: false },
    threads: { type: 'boolean', default: false },
    'no-unpaced': { type: 'boolean', default: false },
    chromium: { type: 'string', default: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium' },
    'chromium-priority': { type: 'string', default: 'equal' },
    'chromium-session': { type: 'string', default: 'this' },
  },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const runs = values.presets!.split(',').map((item) => {
  const [preset, batch] = item.split(':');
  if (!presets[preset]) throw new Error(`--presets: unknown preset '${preset}'`);
  return { preset, batch: Number(batch ?? presets[preset]().fit.batchSize) };
});

// Headless Chromium with WebGPU on SwiftShader, as the browser tests launch it.
// allow_unsafe_apis gives the page timestamp queries without Chromium's 100 µs quantization
// so that both sides time dispatches alike (it changes no kernel).
const FLAGS = ['--headless=new', '--no-sandbox', '--no-first-run', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader', '--enable-features=Vulkan', '--enable-dawn-features=allow_unsafe_apis'];

/**
 * playwright starts Chromium detached: in a session of its own, hence (Linux, with
 * sched_autogroup_enabled) a scheduler group of its own, which gets its own share of the CPU
 * beside every other session's, this Node process's included.
 */
function launchInOwnSession(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { executablePath: values.chromium, headless: true, ignoreDefaultArgs: ['--headless'], args: FLAGS });
}

/** Chromium as a plain child of this process (this session's scheduler group), driven over CDP. */
async function launchInThisSession(userDataDir: string): Promise<BrowserContext> {
  const child = spawn(values.chromium!, [...FLAGS, `--user-data-dir=${userDataDir}`, '--remote-debugging-port=0', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(text);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`Chromium exited (${code}) before it listened: ${text.slice(-500)}`)));
  });
  child.stderr!.resume();
  const browser = await chromium.connectOverCDP(endpoint);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  browser.on('disconnected', () => child.kill());
  const context = browser.contexts()[0];
  // Closing the CDP connection ends Chromium; the profile folder is removed once it has exited.
  context.close = async () => {
    await browser.close();
    await exited;
  };
  return context;
}

/** The page: the browser bundle of bench/side-by-side/page.ts, served from localhost. */
async function openChromium(): Promise<{ page: Page; close(): Promise<void> }> {
  const bundle = await build({ entryPoints: ['bench/side-by-side/page.ts'], ...browserOptions, write: false });
  const script = bundle.outputFiles[0].contents;
  const server = createServer((request, response) => {
    if (request.url === '/page.js') response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    else response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script type="module" src="/page.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const userDataDir = mkdtempSync(join(tmpdir(), 'webgpu-dl-chromium-'));
  const context = values['chromium-session'] === 'own' ? await launchInOwnSession(userDataDir) : await launchInThisSession(userDataDir);
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`http://localhost:${port}/`);
  await page.waitForFunction(() => 'benchSide' in window || 'benchError' in window, undefined, { timeout: 120_000, polling: 100 });
  const error = await page.evaluate(() => (window as unknown as { benchError?: string }).benchError);
  if (error) throw new Error(`the Chromium page failed: ${error}`);
  return {
    page,
    async close() {
      await context.close();
      server.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** The same calls on either side: in this process, or in the page through page.evaluate. */
interface SideCalls {
  info(): Promise<SideInfo>;
  prepare(preset: string, batch: number): Promise<void>;
  time(preset: string, batch: number, steps: number): Promise<number>;
  dispatchTimes(preset: string, batch: number, runs: number): Promise<DispatchTimes>;
}

type PageSide = { benchSide: Side };
function pageCalls(page: Page): SideCalls {
  return {
    info: () => page.evaluate(() => (window as unknown as PageSide).benchSide.info()),
    prepare: (preset, batch) => page.evaluate(([p, b]) => (window as unknown as PageSide).benchSide.prepare(p, b), [preset, batch] as const),
    time: (preset, batch, steps) => page.evaluate(([p, b, s]) => (window as unknown as PageSide).benchSide.time(p, b, s), [preset, batch, steps] as const),
    dispatchTimes: (preset, batch, n) => page.evaluate(([p, b, r]) => (window as unknown as PageSide).benchSide.dispatchTimes(p, b, r), [preset, batch, n] as const),
  };
}

function nodeCalls(side: Side): SideCalls {
  return {
    info: async () => side.info(),
    prepare: (preset, batch) => side.prepare(preset, batch),
    time: (preset, batch, steps) => side.time(preset, batch, steps),
    dispatchTimes: (preset, batch, n) => side.dispatchTimes(preset, batch, n),
  };
}

interface Sample {
  stepMs: number;
  /** CPU ms per step: the measured side's processes, and Node's main thread (Node side only). */
  cpuMs: number;
  mainMs?: number;
  /** See workersRunnable. */
  runnable: number;
}

const equalPriority = values['chromium-priority'] === 'equal';
if (!['this', 'own'].includes(values['chromium-session']!)) throw new Error(`--chromium-session: 'this' or 'own', got '${values['chromium-session']}'`);
if (!['equal', 'as-launched'].includes(values['chromium-priority']!)) throw new Error(`--chromium-priority: 'equal' or 'as-launched', got '${values['chromium-priority']}'`);

async function measure(calls: SideCalls, isNode: boolean, preset: string, batch: number, steps: number): Promise<Sample> {
  if (!isNode && equalPriority) chromiumNice(true);
  const cpu0 = isNode ? process.cpuUsage() : undefined;
  const children0 = isNode ? 0 : childrenMs();
  const main0 = mainThreadMs();
  const threads0 = threadCpu();
  const ms = await calls.time(preset, batch, steps);
  const threads1 = threadCpu();
  if (values.threads) console.log(`  ${isNode ? 'Node' : 'Chromium'} ${preset}, ${steps} step(s) in ${ms.toFixed(0)} ms; busiest threads: ${busiest(threads0, threads1, 6)}`);
  const main = mainThreadMs() - main0;
  const cpuMs = cpu0 ? (() => { const c = process.cpuUsage(cpu0); return (c.user + c.system) / 1000; })() : childrenMs() - children0;
  return { stepMs: ms / steps, cpuMs: cpuMs / steps, mainMs: isNode ? main / steps : undefined, runnable: workersRunnable(threads0, threads1, isNode, ms) };
}

const load0 = loadavg()[0];
const browser = await openChromium();
const sides = [
  { name: 'Node, paced waits', isNode: true, calls: nodeCalls(await Side.start(true)) },
  ...(!values['no-unpaced'] ? [{ name: "Node, dawn.node's waits", isNode: true, calls: nodeCalls(await Side.start(false)) }] : []),
  { name: 'Chromium', isNode: false, calls: pageCalls(browser.page) },
];
const chromiumSide = sides.at(-1)!;
for (const side of sides) console.log(`${side.name}: ${JSON.stringify(await side.calls.info())}`);
console.log(`Chromium's threads not at nice 0 (tid:nice): ${chromiumNice(false).join(' ') || 'none'}; ${equalPriority ? 'set to 0 before each Chromium measurement' : 'left as launched'} (--chromium-priority)`);

const results = new Map<string, Sample[]>();
const stepsFor = new Map<string, number>();
for (const { preset, batch } of runs) {
  for (const side of sides) await side.calls.prepare(preset, batch);
  // Steps per measurement: as many as fill --seconds on Node, judged from one timed step.
  const oneStep = await sides[0].calls.time(preset, batch, 1);
  stepsFor.set(preset, Math.max(1, Math.round((seconds * 1000) / oneStep)));
}
for (let round = 0; round < rounds; round++) {
  for (const { preset, batch } of runs) {
    // Alternate the order, so that no side always follows another.
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const key = `${side.name}|${preset}`;
      const sample = await measure(side.calls, side.isNode, preset, batch, stepsFor.get(preset)!);
      results.set(key, [...(results.get(key) ?? []), sample]);
    }
  }
}

console.log(`\n${rounds} interleaved rounds; load average ${load0.toFixed(1)} → ${loadavg()[0].toFixed(1)} (1 min, 2 cores)`);
console.log('| preset | batch | steps × rounds | side | samples/s | ÷ Chromium | CPU ms per step | of it, Node\'s main thread | cores used | SwiftShader workers runnable |');
console.log('|:---|---:|---:|:---|---:|---:|---:|---:|---:|---:|');
for (const { preset, batch } of runs) {
  const rate = (samples: Sample[]) => (batch * 1000) / median(samples.map((s) => s.stepMs));
  const chromiumRate = rate(results.get(`${chromiumSide.name}|${preset}`)!);
  for (const side of sides) {
    const samples = results.get(`${side.name}|${preset}`)!;
    const cpu = median(samples.map((s) => s.cpuMs)).toFixed(0);
    const main = side.isNode ? median(samples.map((s) => s.mainMs!)).toFixed(0) : '';
    const cores = median(samples.map((s) => s.cpuMs / s.stepMs)).toFixed(2);
    const runnable = (100 * median(samples.map((s) => s.runnable))).toFixed(0);
    console.log(`| ${preset} | ${batch} | ${stepsFor.get(preset)} × ${rounds} | ${side.name} | ${rate(samples).toFixed(1)} | ${(rate(samples) / chromiumRate).toFixed(2)}× | ${cpu} | ${main} | ${cores} | ${runnable}% |`);
  }
}

if (values.breakdown) {
  for (const { preset, batch } of runs) {
    const [node, page] = [await sides[0].calls.dispatchTimes(preset, batch, 3), await chromiumSide.calls.dispatchTimes(preset, batch, 3)];
    if (node.labels.join() !== page.labels.join()) console.log(`\n${preset}: the sides compiled different dispatches! Node: ${node.labels.join(', ')}; Chromium: ${page.labels.join(', ')}`);
    const sum = (t: DispatchTimes) => t.ms.reduce((a, b) => a + b, 0);
    console.log(`\n${preset} (batch ${batch}): ${node.ms.length} dispatches; summed dispatch time Node ${sum(node).toFixed(1)} ms, Chromium ${sum(page).toFixed(1)} ms (Node ÷ Chromium ${(sum(node) / sum(page)).toFixed(2)}); the slowest ten:`);
    const order = node.ms.map((_, i) => i).sort((a, b) => node.ms[b] + page.ms[b] - node.ms[a] - page.ms[a]);
    for (const i of order.slice(0, 10)) console.log(`  ${node.labels[i].padEnd(40)} Node ${node.ms[i].toFixed(2).padStart(8)} ms  Chromium ${page.ms[i].toFixed(2).padStart(8)} ms  ${(node.ms[i] / page.ms[i]).toFixed(2)}×`);
  }
}
await browser.close();
process.exit(0);
