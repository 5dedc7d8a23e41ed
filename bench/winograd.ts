/**
 * Winograd F(2×2, 3×3) and F(4×4, 3×3) against im2col + matmul, side by side on the 3×3 stride-1
 * conv layers of the presets (mnist-cnn's second conv, mnist-bn's four), in interleaved rounds so
 * that the load other jobs put on the CPU weighs on all alike. Three directions per layer:
 *   forward:         im2col + matmul (+bias, ReLU)          vs  weight/input transforms + 16 or 36 batched products + output transform
 *   input gradient:  dZ·Wᵀ matmul + col2im (+ReLU backward) vs  the same Winograd chain on the rotated kernel
 *   weight gradient: colᵀ·dZ from the forward's col         vs  dZ transform + batched products + output transform, on the forward's V
 * Each chain's matmul kernel is the tuner's choice for its shape (--tuning, default 'measure'
 * with the user's cache). Prints ms per call (medians over rounds) and each Winograd's speed-up
 * over im2col (time ratio, and the ratio of this process's CPU time); --breakdown adds each
 * dispatch's time, from one more round; --accuracy instead measures each algorithm's largest
 * error in each direction against the float64 direct computation (2 images, inputs, weights and
 * dZ uniform in [-1, 1]) and times nothing.
 *
 *   node scripts/run.mjs bench/winograd.ts [--rounds 3] [--batch 128] [--tuning measure|cached|off]
 *     [--layers 0,2] [--breakdown | --accuracy]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDevice } from '../src/device/device.js';
import type { TuningMode } from '../src/device/kernel-choices.js';
import { CONV_ALGORITHMS, convChain, convChainBuffers, type ConvAlgorithm, type ConvDirection } from '../src/kernels/conv-algorithm.js';
import { convGeometry, type WindowParams } from '../src/kernels/window.js';
import { runDispatches, type Dispatch } from '../src/runtime/dispatch.js';
import { createRng } from '../src/data/batches.js';
import { activationForwardRef } from '../src/reference/activation.js';
import { conv2dBackwardRef, conv2dRef } from '../src/reference/conv.js';
import { ScratchOwner } from '../src/runtime/scratch.js';
import { DispatchTimer, median } from '../src/runtime/timing.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '128' },
    tuning: { type: 'string', default: 'measure' },
    layers: { type: 'string' },
    breakdown: { type: 'boolean', default: false },
    accuracy: { type: 'boolean', default: false },
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
const geometry = (l: (typeof layers)[number], images: number): WindowParams => ({
  ...convGeometry({ height: l.height, width: l.width, kernelH: 3, kernelW: 3, strideH: 1, strideW: 1, padding: 'valid' }),
  batch: images,
  channels: l.cin,
});

if (values.accuracy) {
  await reportAccuracy();
  owner.destroy();
  device.destroy();
  process.exit(0);
}

/**
 * Each algorithm's largest error in each direction against the float64 direct computation: the
 * forward (+ReLU, bias 0), then, with dZ uniform in [-1, 1] in place of y, the input gradient
 * (masked where x ≤ 0, as the previous layer's ReLU backward) and the weight gradient (after
 * the same algorithm's forward, whose col or V it reads).
 */
async function reportAccuracy(): Promise<void> {
  const images = 2;
  const uniform = (n: number, seed: number) => {
    const next = createRng(seed);
    return Float32Array.from({ length: n }, () => 2 * next() - 1);
  };
  const largest = (values: ArrayLike<number>) => Math.max(...Array.from(values, Math.abs));
  const largestError = (got: Float32Array, expected: ArrayLike<number>) => largest(got.map((v, i) => v - expected[i]));
  console.log(`largest |error| against the float64 direct computation; ${images} images, inputs, weights and dZ uniform in [-1, 1]`);
  console.log(`${'layer'.padEnd(20)} ${'direction'.padEnd(16)} ${'largest |ref|'.padStart(13)} ${CONV_ALGORITHMS.map((a) => a.padStart(12)).join(' ')}`);
  for (const l of chosen) {
    const p = geometry(l, images);
    const x = uniform(images * l.height * l.width * l.cin, 1); // (N, H, W, CIN)
    const w = uniform(9 * l.cin * l.cout, 2); // (3, 3, CIN, COUT)
    const y = activationForwardRef('relu', conv2dRef(x, w, null, p)); // (N, OH, OW, COUT)
    const dZ = uniform(y.length, 3); // (N, OH, OW, COUT)
    const gradients = conv2dBackwardRef(x, w, dZ, p);
    const expected = { forward: y, 'input gradient': gradients.dX.map((v, i) => (x[i] > 0 ? v : 0)), 'weight gradient': gradients.dW };
    const uploads = {
      x: device.upload('x', x),
      w: device.upload('w', w),
      bias: device.upload('bias', new Float32Array(l.cout)),
      y: device.upload('y', new Float32Array(y.length)),
      dX: device.upload('dX', new Float32Array(x.length)),
      dW: device.upload('dW', new Float32Array(w.length)),
    };
    const buffers = { ...convChainBuffers(p, l.cout, scratch, `${l.name} accuracy`), ...uploads };
    const errors = { forward: [] as number[], 'input gradient': [] as number[], 'weight gradient': [] as number[] };
    for (const a of CONV_ALGORITHMS) {
      const run = async (direction: ConvDirection) => runDispatches(device, await convChain(device, p, l.cout, direction, a, buffers, scratch, `${l.name} accuracy ${a}`));
      await run('forward');
      errors.forward.push(largestError(await device.readFloats(uploads.y, 0, y.length), y));
      device.gpu.queue.writeBuffer(uploads.y, 0, dZ);
      // The weight gradient first: the input gradient's chain overwrites the forward's col or V.
      await run('weight gradient');
      errors['weight gradient'].push(largestError(await device.readFloats(uploads.dW, 0, w.length), expected['weight gradient']));
      await run('input gradient');
      errors['input gradient'].push(largestError(await device.readFloats(uploads.dX, 0, x.length), expected['input gradient']));
    }
    for (const direction of ['forward', 'input gradient', 'weight gradient'] as const) {
      const figures = errors[direction].map((e) => e.toExponential(2).padStart(12)).join(' ');
      console.log(`${l.name.padEnd(20)} ${direction.padEnd(16)} ${largest(expected[direction]).toFixed(2).padStart(13)} ${figures}`);
    }
    for (const b of Object.values(uploads)) b.destroy();
  }
}

interface Chain {
  layer: string;
  direction: ConvDirection;
  flops: number;
  dispatches: Record<ConvAlgorithm, Dispatch[]>;
  ms: Record<ConvAlgorithm, number[]>;
  /** CPU ms of this process (Dawn's and SwiftShader's threads) per call: moved less by other jobs' load. */
  cpu: Record<ConvAlgorithm, number[]>;
}
const perAlgorithm = <T>(make: (a: ConvAlgorithm) => T) => Object.fromEntries(CONV_ALGORITHMS.map((a) => [a, make(a)])) as Record<ConvAlgorithm, T>;
const chains: Chain[] = [];
for (const l of chosen) {
  const p = geometry(l, batch);
  // Contents do not matter to the time; every buffer is zeros.
  const buffers = convChainBuffers(p, l.cout, scratch, l.name);
  const flops = 2 * batch * p.outH * p.outW * 9 * l.cin * l.cout;
  for (const direction of ['forward', 'input gradient', 'weight gradient'] as const) {
    const dispatches = {} as Record<ConvAlgorithm, Dispatch[]>;
    // A weight gradient after a forward by the same algorithm (its col or V kept).
    for (const a of CONV_ALGORITHMS) dispatches[a] = await convChain(device, p, l.cout, direction, a, buffers, scratch, `${l.name} ${direction} ${a}`);
    chains.push({ layer: l.name, direction, flops, dispatches, ms: perAlgorithm(() => []), cpu: perAlgorithm(() => []) });
  }
}

const once = { warmup: 0, reps: 1, seconds: 0, minReps: 1, maxReps: 1, onceAboveMs: Infinity };
for (const c of chains) for (const a of CONV_ALGORITHMS) await timer.perCall(c.dispatches[a], once);
for (let round = 0; round < rounds; round++) {
  for (const c of chains) {
    // Rotate which goes first, so that none always follows another.
    const order = CONV_ALGORITHMS.map((_, i) => CONV_ALGORITHMS[(i + round) % CONV_ALGORITHMS.length]);
    for (const which of order) {
      const before = process.cpuUsage();
      c.ms[which].push((await timer.perCall(c.dispatches[which], once)).ms);
      const used = process.cpuUsage(before);
      c.cpu[which].push((used.user + used.system) / 1000);
    }
  }
}

console.log(`Winograd F(2×2, 3×3) ('winograd') and F(4×4, 3×3) ('winograd4') vs im2col + matmul, batch ${batch}, ${rounds} interleaved rounds, medians (${timer.clock}); tuning '${values.tuning}'`);
console.log(`adapter: ${device.adapter.description}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('speed-up: im2col ms / the algorithm\'s ms (in brackets, the same ratio of CPU time); im2col GFLOP/s: the direct convolution\'s FLOPs over its time');
const columns = CONV_ALGORITHMS.map((a) => `${a} ms`.padStart(13));
const speedups = CONV_ALGORITHMS.filter((a) => a !== 'im2col').map((a) => `${a} speed-up`.padStart(20));
console.log(`${'layer'.padEnd(20)} ${'direction'.padEnd(15)} ${columns.join(' ')} ${speedups.join(' ')} ${'im2col GFLOP/s'.padStart(15)}`);
for (const c of chains) {
  const ms = perAlgorithm((a) => median(c.ms[a]));
  const cpu = perAlgorithm((a) => median(c.cpu[a]));
  const times = CONV_ALGORITHMS.map((a) => ms[a].toFixed(1).padStart(13));
  const ratios = CONV_ALGORITHMS.filter((a) => a !== 'im2col').map((a) => `×${(ms.im2col / ms[a]).toFixed(2)} (×${(cpu.im2col / cpu[a]).toFixed(2)})`.padStart(20));
  console.log(`${c.layer.padEnd(20)} ${c.direction.padEnd(15)} ${times.join(' ')} ${ratios.join(' ')} ${(c.flops / ms.im2col / 1e6).toFixed(2).padStart(15)}`);
}
if (values.breakdown) {
  console.log('\nper dispatch (ms, one round):');
  for (const c of chains) {
    for (const which of CONV_ALGORITHMS) {
      for (const d of c.dispatches[which]) console.log(`  ${which.padEnd(9)} ${(await timer.perCall([d], once)).ms.toFixed(1).padStart(8)}  ${d.label}`);
    }
  }
}
owner.destroy();
device.destroy();
