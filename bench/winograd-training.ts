/**
 * Training samples/s of presets with every 3×3 stride-1 conv that has more than one input channel
 * forced to each algorithm in turn (--algorithms, default im2col + matmul, Winograd F(2×2) and
 * F(4×4)); a first layer, CIN = 1, stays on im2col: its Winograd products would have K = 1.
 * With `--vary weight-gradient` those convs run their forward and input gradient by F(2×2)
 * Winograd in all, and only the weight gradient differs (im2col + matmul from an im2col of x,
 * F(2×2) from the forward's V, F(4×4) from its own input transform). Same adapter, one process,
 * interleaved rounds; tuning 'off', so every matmul runs the adapter's default kernel in all.
 *
 *   node scripts/run.mjs bench/winograd-training.ts [--presets mnist-cnn,mnist-bn] [--batch 32] [--steps 2] [--rounds 3]
 *     [--vary all|weight-gradient] [--algorithms im2col,winograd,winograd4]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { createDevice } from '../src/device/device.js';
import { CONV_ALGORITHMS, type ConvAlgorithm } from '../src/kernels/conv-algorithm.js';
import { Conv2D } from '../src/nn/layers/conv2d.js';
import { presetNames, presets } from '../src/nn/presets.js';
import { median } from '../src/runtime/timing.js';
import { EngineTrainer } from './training.js';

const { values } = parseArgs({
  options: {
    presets: { type: 'string', default: 'mnist-cnn,mnist-bn' },
    batch: { type: 'string', default: '32' },
    steps: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    vary: { type: 'string', default: 'all' },
    algorithms: { type: 'string', default: CONV_ALGORITHMS.join(',') },
  },
});
if (values.vary !== 'all' && values.vary !== 'weight-gradient') throw new Error(`--vary must be 'all' or 'weight-gradient' (got '${values.vary}')`);
const onlyWeightGradient = values.vary === 'weight-gradient';
const names = values.presets.split(',');
const algorithms = values.algorithms.split(',') as ConvAlgorithm[];
for (const a of algorithms) if (!CONV_ALGORITHMS.includes(a)) throw new Error(`--algorithms: unknown '${a}' (known: ${CONV_ALGORITHMS.join(', ')})`);
if (algorithms.length < 2) throw new Error('--algorithms: name at least two, to compare');
for (const name of names) if (!presetNames.includes(name)) throw new Error(`--presets: unknown '${name}' (known: ${presetNames.join(', ')})`);
const [batch, steps, rounds] = [values.batch, values.steps, values.rounds].map(Number);
for (const [what, v] of [['batch', batch], ['steps', steps], ['rounds', rounds]] as const) {
  if (!(Number.isInteger(v) && v >= 1)) throw new Error(`--${what} must be an integer ≥ 1`);
}

const device = await createDevice({ tuning: 'off' });
// ms: wall clock per figure; cpu: this process's CPU ms (Dawn's and SwiftShader's threads), which
// other jobs' load moves less.
const runs: { preset: string; algorithm: ConvAlgorithm; trainer: EngineTrainer; ms: number[]; cpu: number[] }[] = [];
for (const name of names) {
  for (const algorithm of algorithms) {
    const preset = presets[name]();
    preset.model.build();
    for (const layer of preset.model.layers) {
      if (!(layer instanceof Conv2D)) continue;
      const eligible = layer.kernelSize.every((k) => k === 3) && layer.strides.every((s) => s === 1) && layer.inputShape?.[2] !== 1;
      if (!eligible) layer.algorithm = 'im2col';
      else layer.algorithm = onlyWeightGradient ? { forward: 'winograd', inputGradient: 'winograd', weightGradient: algorithm } : algorithm;
    }
    runs.push({ preset: name, algorithm, trainer: await EngineTrainer.start(device, preset, batch, 1), ms: [], cpu: [] });
  }
}
for (let round = 0; round < rounds; round++) {
  // Rotate which goes first, so that none always follows another.
  for (const run of runs.map((_, i) => runs[(i + round) % runs.length])) {
    const before = process.cpuUsage();
    run.ms.push(await run.trainer.time(steps));
    const used = process.cpuUsage(before);
    run.cpu.push((used.user + used.system) / 1000);
  }
}

const varied = onlyWeightGradient ? 'the weight gradient of every eligible conv (forward and input gradient by F(2×2) Winograd in all)' : 'every direction of every eligible conv';
console.log(`training, ${varied} by ${algorithms.join(' vs ')}; ratios against ${algorithms[0]}; batch ${batch}, ${steps} steps per figure, ${rounds} interleaved rounds, medians; adapter ${device.adapter.description}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
const rate = (r: (typeof runs)[number]) => (steps * batch) / (median(r.ms) / 1000);
for (const name of names) {
  const [base, ...others] = algorithms.map((a) => runs.find((r) => r.preset === name && r.algorithm === a)!);
  const compared = others.map((r) => `${r.algorithm} ${rate(r).toFixed(2)} samples/s ×${(rate(r) / rate(base)).toFixed(2)} (CPU time per step ×${(median(base.cpu) / median(r.cpu)).toFixed(2)})`);
  console.log(`${name.padEnd(12)} ${base.algorithm} ${rate(base).toFixed(2)} samples/s; ${compared.join('; ')}`);
}
for (const run of runs) run.trainer.model.dispose();
device.destroy();
