/**
 * The peer: TF.js 4 with its WebGPU backend (@tensorflow/tfjs-backend-webgpu), on the same
 * Dawn adapter as the engine, in the same process. It trains the same models (built from the
 * engine model's own TF.js/Keras-2 topology, so the layers are the same by construction) with
 * the same batch and optimizer, and runs the same matmul shapes.
 *
 * TF.js is CommonJS and reaches for Node built-ins with dynamic require(), which an ESM
 * bundle cannot do; it is loaded at run time with createRequire instead of being bundled.
 */
import { createRequire } from 'node:module';
import { kerasModelConfig } from '../src/io/keras-json.js';
import { withDefaults, type OptimizerConfig } from '../src/nn/optimizers.js';
import type { Sequential } from '../src/nn/sequential.js';
import type { GemmShape } from './shapes.js';

// The TF.js API is used untyped: its typings would pull the whole of tfjs into the typecheck.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Tf = any;

export interface TfjsPeer {
  tf: Tf;
  /** TF.js' own description of its adapter. */
  adapter: string;
  version: string;
}

/** Referenced for the whole run: dawn.node crashes if a GPU instance is garbage-collected. */
let liveGpu: unknown;

/**
 * Starts TF.js' WebGPU backend on Dawn. Call after the engine's createDevice(), which has
 * loaded Dawn and pointed the Vulkan loader at the adapter the engine uses (VK_ICD_FILENAMES),
 * so the instance made here sees the same adapter.
 */
export async function startTfjs(): Promise<TfjsPeer> {
  const dawn = (await import(/* webpackIgnore: true */ 'webgpu')) as unknown as { create(flags: string[]): unknown };
  liveGpu = dawn.create([]);
  // The backend registers itself at load time only if navigator.gpu exists then.
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: liveGpu }, configurable: true, writable: true });
  const requireCjs = createRequire(import.meta.url);
  const tf: Tf = requireCjs('@tensorflow/tfjs');
  requireCjs('@tensorflow/tfjs-backend-webgpu');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its WebGPU backend');
  await tf.ready();
  const info = tf.backend().adapterInfo ?? {};
  return { tf, adapter: `${info.vendor ?? '?'} ${info.architecture ?? ''}`.trim(), version: tf.version.tfjs ?? tf.version_core };
}

/** The engine's optimizer, with every default filled in, as the TF.js optimizer of the same rule. */
function tfjsOptimizer(tf: Tf, config: OptimizerConfig): Tf {
  const c = withDefaults(config);
  switch (c.kind) {
    case 'sgd':
      return c.momentum === 0 ? tf.train.sgd(c.learningRate) : tf.train.momentum(c.learningRate, c.momentum, c.nesterov);
    case 'adam':
      return tf.train.adam(c.learningRate, c.beta1, c.beta2, c.epsilon);
    case 'adadelta':
      return tf.train.adadelta(c.learningRate, c.rho, c.epsilon);
    case 'rmsprop':
      return tf.train.rmsprop(c.learningRate, c.rho, c.momentum, c.epsilon, c.centered);
    case 'adagrad':
      return tf.train.adagrad(c.learningRate, c.initialAccumulatorValue);
  }
}

export interface PeerTraining {
  samplesPerSec: number;
  steps: number;
  stepMs: number;
  /** Pipelines TF.js compiled during the timed steps: 0 when the warm-up compiled them all. */
  compiledWhileTimed: number;
}

/** Pipelines TF.js' WebGPU backend has compiled so far (its cache is keyed by shader). */
function pipelineCount(tf: Tf): number {
  return Object.keys(tf.backend().pipelineCache ?? {}).length;
}

/**
 * Samples/s of TF.js training `model`'s architecture: forward in training mode (dropout on,
 * batch-norm statistics updated), categorical cross-entropy on the softmax output as Keras
 * compiles it, backward and the optimizer update through optimizer.minimize. The loss is not
 * read back per step (the engine does not either); the clock stops when the GPU has finished,
 * seen by reading one weight back.
 *
 * Warm-up: `warmup` steps at `warmupBatch`, which compile TF.js' pipelines (a full step takes
 * minutes here, so a smaller batch saves that much). If the timed steps still compiled a
 * pipeline, they are timed again, now warm, when `retimeBelowMs` allows it (else the count is
 * reported). The number of timed steps comes from the first timing's time per step.
 */
export async function tfjsTrainingThroughput(
  peer: TfjsPeer,
  model: Sequential,
  optimizer: OptimizerConfig,
  batch: number,
  options: { warmup: number; warmupBatch: number; steps: (stepMs: number) => number; retimeBelowMs: number },
): Promise<PeerTraining> {
  const { tf } = peer;
  const net = await tf.models.modelFromJSON({ modelTopology: kerasModelConfig(model, 'tfjs') });
  const opt = tfjsOptimizer(tf, optimizer);
  const classes = model.outputShape[0];
  const batchData = (size: number) => ({
    x: tf.randomUniform([size, ...model.inputShape]),
    y: tf.tidy(() => tf.oneHot(tf.randomUniform([size], 0, classes, 'int32'), classes).toFloat()),
  });
  const full = batchData(batch);
  const small = options.warmupBatch === batch ? full : batchData(options.warmupBatch);
  const step = (data: { x: Tf; y: Tf }) =>
    opt.minimize(() => tf.metrics.categoricalCrossentropy(data.y, net.apply(data.x, { training: true })).mean(), false);
  // Waits for all queued work: TF.js submits in order, and reading a weight flushes its queue.
  const finish = async () => {
    await net.getWeights()[0].data();
  };
  const timed = async (steps: number) => {
    const compiledBefore = pipelineCount(tf);
    const start = performance.now();
    for (let i = 0; i < steps; i++) step(full);
    await finish();
    return { stepMs: (performance.now() - start) / steps, compiled: pipelineCount(tf) - compiledBefore };
  };
  try {
    await Promise.all([full.x.data(), full.y.data(), small.x.data(), small.y.data()]);
    for (let i = 0; i < options.warmup; i++) step(small);
    await finish();
    let steps = 1;
    let run = await timed(steps);
    const wanted = options.steps(run.stepMs);
    if (run.compiled > 0 && run.stepMs < options.retimeBelowMs) {
      steps = wanted;
      run = await timed(steps);
    } else if (run.compiled === 0 && wanted > 1) {
      // Warm already: time the remaining steps as well and count them all.
      const more = await timed(wanted - 1);
      run = { stepMs: (run.stepMs + more.stepMs * (wanted - 1)) / wanted, compiled: more.compiled };
      steps = wanted;
    }
    return { samplesPerSec: (batch * 1000) / run.stepMs, steps, stepMs: run.stepMs, compiledWhileTimed: run.compiled };
  } finally {
    for (const t of new Set([full.x, full.y, small.x, small.y])) t.dispose();
    opt.dispose();
    net.dispose();
  }
}

/**
 * Milliseconds per call of TF.js' matmul on one GEMM of the engine, with the same operand
 * layouts (transposes read in place) and, for a forward GEMM, the same fused bias and ReLU
 * (tf.fused.matMul), and for a dX with the ReLU mask the ReLU backward TF.js' gradient records
 * after it (dX·step(x)). Wall clock from an idle queue over calls queued back to back, up to the
 * read-back of the last result. The first call is timed alone; if it compiled a pipeline it
 * was the warm-up, and `reps(its ms)` calls are timed after it; if not, they are timed
 * after it and counted with it.
 */
export async function tfjsMatmulMs(peer: TfjsPeer, g: GemmShape, options: { reps: (firstMs: number) => number }): Promise<{ ms: number; reps: number }> {
  const { tf } = peer;
  const a = tf.randomUniform(g.transA ? [g.k, g.m] : [g.m, g.k]);
  const b = tf.randomUniform(g.transB ? [g.n, g.k] : [g.k, g.n]);
  const bias = g.bias ? tf.randomUniform([g.n]) : undefined;
  const mask = g.reluMask ? tf.randomUniform([g.m, g.n], -1, 1) : undefined;
  const call = () =>
    tf.tidy(() => {
      const c = tf.fused.matMul({ a, b, transposeA: g.transA, transposeB: g.transB, bias, activation: g.relu ? 'relu' : 'linear' });
      return mask ? tf.mul(c, tf.step(mask)) : c;
    });
  const run = async (times: number) => {
    const start = performance.now();
    let last;
    for (let i = 0; i < times; i++) {
      last?.dispose();
      last = call();
    }
    await last.data();
    last.dispose();
    return performance.now() - start;
  };
  try {
    await Promise.all([a.data(), b.data(), bias?.data(), mask?.data()]);
    const compiledBefore = pipelineCount(tf);
    const firstMs = await run(1);
    const warm = pipelineCount(tf) === compiledBefore;
    const reps = options.reps(firstMs);
    if (warm && reps <= 1) return { ms: firstMs, reps: 1 };
    const more = warm ? reps - 1 : reps;
    const ms = await run(more);
    return warm ? { ms: (firstMs + ms) / reps, reps } : { ms: ms / reps, reps };
  } finally {
    a.dispose();
    b.dispose();
    bias?.dispose();
    mask?.dispose();
  }
}
