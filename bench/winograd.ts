/**
 * Winograd F(2×2, 3×3) against today's im2col + matmul, side by side on the 3×3 stride-1 conv
 * layers of the presets (mnist-cnn's second conv, mnist-bn's four), in interleaved rounds so that
 * the load other jobs put on the CPU weighs on both alike. Two directions per layer:
 *   forward:        im2col + matmul (+bias, ReLU)          vs  weight/input transforms + 16 batched products + output transform
 *   input gradient: dZ·Wᵀ matmul + col2im (+ReLU backward) vs  the same Winograd chain on the rotated kernel
 * Each chain's matmul kernel is the tuner's choice for its shape (--tuning, default 'measure'
 * with the user's cache). Prints ms per call (medians over rounds) and the ratio im2col / Winograd;
 * --breakdown adds each dispatch's time, from one more round.
 *
 *   node scripts/run.mjs bench/winograd.ts [--rounds 3] [--batch 128] [--tuning measure|cached|off]
 *     [--layers 0,2] [--breakdown]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDevice } from '../src/device/device.js';
import type { TuningMode } from '../src/device/kernel-choices.js';
import { convChain, convChainBuffers } from '../src/kernels/conv-algorithm.js';
import { convGeometry, type WindowParams } from '../src/kernels/window.js';
import type { Dispatch } from '../src/runtime/dispatch.js';
import { ScratchOwner } from '../src/runtime/scratch.js';
import { DispatchTimer, median } from '../src/runtime/timing.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '128' },
    tuning: { type: 'string', default: 'measure' },
    layers: { type: 'string' },
    breakdown: { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const batch = Number(values.batch);
if (!(Number.isInteger(rounds) && rounds >= 1)) throw new Error(`--rounds must be an integer ≥ 1, got ${values.rounds}`);
if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`--batch must be an integer ≥ 1, got ${values.batch}`);

// The presets' 3×3 stride-1 convs with more than one input channel (a first layer, CIN = 1,
// is im2col's best case and Winograd's worst: K = 1 products).
const layers: { name: string; height: number; width: number; cin: number; cout: number }[] = [
  { name: 'mnist-cnn conv2d_1', height: 26, width: 26, cin: 32, cout: 64 },
  { name: 'mnist-bn conv2d_1', height: 26, width: 26, cin: 64, cout: 64 },
  { name: 'mnist-bn conv2d_2', height: 12, width: 12, cin: 64, cout: 64 },
  { name: 'mnist-bn conv2d_3', height: 10, width: 10, cin: 64, cout: 64 },
];

const chosen = values.layers === undefined ? layers : values.layers.split(',').map((i) => layers[Number(i)]);
if (chosen.some((l) => l === undefined)) throw new Error(`--layers: indices into ${layers.map((l, i) => `${i} ${l.name}`).join(', ')}; got ${values.layers}`);

const device = await createDevice({ tuning: values.tuning as TuningMode });
const owner = new ScratchOwner(device);
const scratch = owner.scratch;
const timer = new DispatchTimer(device);

interface Chain {
  layer: string;
  direction: 'forward' | 'input gradient';
  flops: number;
  im2col: Dispatch[];
  winograd: Dispatch[];
  ms: { im2col: number[]; winograd: number[] };
  /** CPU ms of this process (Dawn's and SwiftShader's threads) per call: moved less by other jobs' load. */
  cpu: { im2col: number[]; winograd: number[] };
}
const chains: Chain[] = [];
for (const l of chosen) {
  const p: WindowParams = { ...convGeometry({ height: l.height, width: l.width, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding: 'valid' }), batch, channels: l.cin };
  // Contents do not matter to the time; every buffer is zeros.
  const buffers = convChainBuffers(p, l.cout, scratch, l.name);
  const flops = 2 * batch * p.outH * p.outW * 9 * l.cin * l.cout;
  for (const direction of ['forward', 'input gradient'] as const) {
    chains.push({
      layer: l.name,
      direction,
      flops,
      im2col: await convChain(device, p, l.cout, direction, 'im2col', buffers, scratch, `${l.name} ${direction}`),
      winograd: await convChain(device, p, l.cout, direction, 'winograd', buffers, scratch, `${l.name} ${direction} winograd`),
      ms: { im2col: [], winograd: [] },
      cpu: { im2col: [], winograd: [] },
    });
  }
}

const once = { warmup: 0, reps: 1, seconds: 0, minReps: 1, maxReps: 1, onceAboveMs: Infinity };
for (const c of chains) {
  await timer.perCall(c.im2col, once);
  await timer.perCall(c.winograd, once);
}
for (let round = 0; round < rounds; round++) {
  for (const c of chains) {
    // Alternate which goes first, so that neither always follows the other.
    const order = round % 2 === 0 ? (['im2col', 'winograd'] as const) : (['winograd', 'im2col'] as const);
    for (const which of order) {
      const before = process.cpuUsage();
      c.ms[which].push((await timer.perCall(c[which], once)).ms);
      const used = process.cpuUsage(before);
      c.cpu[which].push((used.user + used.system) / 1000);
    }
  }
}

console.log(`Winograd F(2×2, 3×3) vs im2col + matmul, batch ${batch}, ${rounds} interleaved rounds, medians (${timer.clock}); tuning '${values.tuning}'`);
console.log(`adapter: ${device.adapter.description}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(
  `${'layer'.padEnd(20)} ${'direction'.padEnd(15)} ${'im2col ms'.padStart(10)} ${'winograd ms'.padStart(12)} ${'ratio'.padStart(6)} ${'CPU-time ratio'.padStart(15)} ${'im2col GFLOP/s'.padStart(15)} ${'effective'.padStart(10)}`,
);
for (const c of chains) {
  const a = median(c.ms.im2col);
  const b = median(c.ms.winograd);
  // Effective: the direct convolution's FLOPs over Winograd's time.
  console.log(
    `${c.layer.padEnd(20)} ${c.direction.padEnd(15)} ${a.toFixed(1).padStart(10)} ${b.toFixed(1).padStart(12)} ${(a / b).toFixed(2).padStart(6)} ${(median(c.cpu.im2col) / median(c.cpu.winograd)).toFixed(2).padStart(15)} ${(c.flops / a / 1e6).toFixed(2).padStart(15)} ${(c.flops / b / 1e6).toFixed(2).padStart(10)}`,
  );
}
if (values.breakdown) {
  console.log('\nper dispatch (ms, one round):');
  for (const c of chains) {
    for (const which of ['im2col', 'winograd'] as const) {
      for (const d of c[which]) console.log(`  ${which.padEnd(8)} ${(await timer.perCall([d], once)).ms.toFixed(1).padStart(8)}  ${d.label}`);
    }
  }
}
owner.destroy();
device.destroy();
