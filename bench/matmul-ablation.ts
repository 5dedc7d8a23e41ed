/**
 * Where the quad matmul's time goes on this adapter: the real kernel (shaders/matmul-quads.wgsl)
 * on an S×S×S problem beside copies of it with one part of its inner loop taken out — its reads
 * of op(B), its reads of op(A), its quadBroadcasts, and all three — timed in interleaved rounds
 * (so that the load other jobs put on the CPU weighs on all alike). The copies compute wrong
 * results; only their speed means something: the gap between the kernel and a copy is what that
 * part costs. Besides wall-clock GFLOP/s it prints GFLOP per CPU-second of this process (Dawn's
 * and SwiftShader's threads, Dawn's polling included), which a loaded machine moves less.
 *
 *   node scripts/run.mjs bench/matmul-ablation.ts [--size 512] [--rounds 5]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDevice } from '../src/device/device.js';
import { matmulCode } from '../src/kernels/matmul.js';
import { createDispatch, type Dispatch } from '../src/runtime/dispatch.js';
import { DispatchTimer } from '../src/runtime/timing.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '512' }, rounds: { type: 'string', default: '5' } } });
const size = Number(values.size);
const rounds = Number(values.rounds);
if (!(Number.isInteger(size) && size >= 16 && size % 16 === 0)) throw new Error(`--size must be a multiple of 16, got ${values.size}`);
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be an integer ≥ 1, got ${values.rounds}`);

const device = await createDevice({ tuning: 'off' });
if (!device.quads) throw new Error('this adapter has no quads: the quad kernel cannot run here');
const kernel = matmulCode('quads');

// Each ablation rewrites the kernel's text; `main` keeps a use of both operands, so that the
// pipeline's bindings stay those of the real kernel.
const keepBindings = (code: string) => code.replace(/(fn main\([^{]*\{)/, '$1\n  _ = a[0];\n  _ = b[0];');
const withoutB = (code: string) => code.replace(/fn loadB\(k: u32, cols: vec4u\) -> vec4f \{[\s\S]*?\n\}/, 'fn loadB(k: u32, cols: vec4u) -> vec4f { return vec4f(cols) + f32(k); }');
const withoutA = (code: string) => code.replace(/fn loadA\(rows: vec4u, k: u32\) -> vec4f \{[\s\S]*?\n\}/, 'fn loadA(rows: vec4u, k: u32) -> vec4f { return vec4f(rows) + f32(k); }');
const withoutBroadcasts = (code: string) => code.replace(/quadBroadcast\((\w+), \du\)/g, '$1');
const variants: [string, string][] = [
  ['quad kernel', kernel],
  ['without op(B) reads', keepBindings(withoutB(kernel))],
  ['without op(A) reads', keepBindings(withoutA(kernel))],
  ['without quadBroadcast', withoutBroadcasts(kernel)],
  ['without all three', keepBindings(withoutBroadcasts(withoutA(withoutB(kernel))))],
];
for (const [name, code] of variants.slice(1)) if (code === kernel) throw new Error(`${name}: the kernel's text no longer matches this tool's rewrite`);

// a, b: (S, S) each, zeros (the time does not depend on the values); c: (S, S); bias and mask: unused.
const bytes = size * size * 4;
const [a, b, c] = ['A', 'B', 'C'].map((label) => device.createBuffer(`ablation ${label}`, bytes));
const unused = device.createBuffer('ablation no bias or mask', 16);
// As matmul.ts dispatches the quad kernel: 8-row blocks, whole quads of 4-column blocks.
const invocations = (size / 8) * (size / 16) * 4;
const WG = 64;
const timer = new DispatchTimer(device);
const runs: { name: string; dispatches: Dispatch[]; wall: number[]; cpu: number[] }[] = [];
for (const [name, code] of variants) {
  const dispatch = await createDispatch(device, { label: `ablation: ${name}`, code, entryPoint: 'main', constants: { M: size, N: size, K: size, WG } }, [unused, c, a, b, unused], [Math.ceil(invocations / WG), 1, 1]);
  runs.push({ name, dispatches: [dispatch], wall: [], cpu: [] });
}

const reps = 3;
const exactly = { warmup: 0, reps, seconds: 0, minReps: reps, maxReps: reps, onceAboveMs: Infinity };
for (const run of runs) await timer.perCall(run.dispatches, { ...exactly, reps: 1, minReps: 1, maxReps: 1 });
for (let round = 0; round < rounds; round++) {
  for (const run of runs) {
    const before = process.cpuUsage();
    run.wall.push((await timer.perCall(run.dispatches, exactly)).ms);
    const used = process.cpuUsage(before);
    run.cpu.push((used.user + used.system) / 1000 / reps);
  }
}

const median = (xs: number[]) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
const gflops = (ms: number) => (2 * size ** 3) / ms / 1e6;
console.log(`matmul ${size}³, quad kernel and copies without parts of its inner loop; ${rounds} rounds, medians; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.log(`${'variant'.padEnd(24)} ${'GFLOP/s'.padStart(8)} ${'GFLOP/CPU-s'.padStart(12)} ${'share of the kernel’s CPU time'.padStart(31)}`);
const whole = median(runs[0].cpu);
for (const run of runs) {
  const cpu = median(run.cpu);
  const share = run === runs[0] ? '' : `${(((whole - cpu) / whole) * 100).toFixed(0)}% saved`;
  console.log(`${run.name.padEnd(24)} ${gflops(median(run.wall)).toFixed(2).padStart(8)} ${gflops(cpu).toFixed(2).padStart(12)} ${share.padStart(31)}`);
}
device.destroy();
