import { describe, expect, it } from 'vitest';
import type { Device } from '../../src/device/device.js';
import { encodeHyper, optimizerUpdate } from '../../src/kernels/optimizer.js';
import { initialState, OPTIMIZER_DEFAULTS, optimizerStateSlots, withDefaults, type OptimizerConfig } from '../../src/nn/optimizers.js';
import { optimizerStepRef } from '../../src/reference/optimizer.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { expectClose, randomFloats, rng, testDevice } from '../helpers/gpu.js';

const sizes = [1, 7 * 13 * 5, 1000, 100003];
const steps = 5;

const configs: OptimizerConfig[] = [
  { kind: 'sgd' },
  { kind: 'sgd', momentum: 0.9 },
  { kind: 'sgd', momentum: 0.9, nesterov: true },
  { kind: 'adam' },
  { kind: 'adam', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 },
  { kind: 'adadelta' },
  { kind: 'adadelta', learningRate: 1.0 },
  { kind: 'rmsprop' },
  { kind: 'rmsprop', learningRate: 0.01, rho: 0.8, momentum: 0.9, centered: true },
  { kind: 'adagrad' },
  // With no starting accumulator, ε decides the first step of a small gradient.
  { kind: 'adagrad', learningRate: 0.01, initialAccumulatorValue: 0 },
  // Keras 3's decoupled weight decay: AdamW's default, and on other kinds.
  { kind: 'adamw' },
  { kind: 'adamw', learningRate: 0.01, weightDecay: 0.05 },
  { kind: 'sgd', momentum: 0.9, weightDecay: 0.1 },
  { kind: 'rmsprop', momentum: 0.5, weightDecay: 0.02 },
  { kind: 'adamax' },
  { kind: 'adamax', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.01 },
  { kind: 'nadam' },
  { kind: 'nadam', learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.01 },
  // AMSGrad: the gradients' magnitudes change from step to step, so v falls below its maximum.
  { kind: 'adam', amsgrad: true },
  { kind: 'adamw', learningRate: 0.01, amsgrad: true },
  { kind: 'lion' },
  { kind: 'lion', learningRate: 0.01, beta1: 0.8, beta2: 0.95, weightDecay: 0.01 },
  // Keras' use_ema: the weights' moving average in a last slot (its first step copies them),
  // and with an overwrite frequency the weights set to it every so many steps (2 and 4 of 5).
  { kind: 'adam', useEma: true },
  { kind: 'sgd', momentum: 0.9, useEma: true, emaMomentum: 0.5, emaOverwriteFrequency: 2 },
  { kind: 'adagrad', useEma: true, emaMomentum: 0.8 },
];

/**
 * The kernel sees float32 hyper-parameters, defaults included (as Keras does: it casts them
 * to the variable's dtype), so the reference gets the same float32 values, like every input.
 */
function asFloat32(config: OptimizerConfig): OptimizerConfig {
  const resolved = withDefaults(config);
  return Object.fromEntries(Object.entries(resolved).map(([k, v]) => [k, typeof v === 'number' ? Math.fround(v) : v])) as unknown as OptimizerConfig;
}

/**
 * Gradients whose magnitudes span 1 to 1e-5 (so ε matters in the small ones), with every
 * 17th exactly zero, like the gaps between tensors in the flat buffer.
 */
function gradients(count: number, seed: number): Float32Array {
  const next = rng(seed);
  return Float32Array.from(randomFloats(count, seed + 1), (u, i) => (i % 17 === 16 ? 0 : u * 10 ** -Math.floor(6 * next())));
}

function describeConfig(config: OptimizerConfig): string {
  return Object.entries(config).map(([k, v]) => (k === 'kind' ? v : `${k}=${v}`)).join(' ');
}

/** GPU buffers for one optimizer over `count` parameters, and a step function that replays one dispatch. */
async function gpuOptimizer(device: Device, config: OptimizerConfig, params: Float32Array) {
  const count = params.length;
  const buffers = {
    params: device.upload('params', params), // (count)
    grads: device.createBuffer('grads', count * 4), // (count)
    state: device.upload('state', initialState(config, count)), // (slots, count)
    hyper: device.upload('hyper', encodeHyper(withDefaults(config))), // (H)
    stepInfo: device.createBuffer('stepInfo', 16), // [t, seed, 0, 0] u32
  };
  const update = await optimizerUpdate(device, withDefaults(config), { count }, buffers);
  return {
    buffers,
    async step(t: number, grads: Float32Array) {
      device.gpu.queue.writeBuffer(buffers.grads, 0, grads);
      device.gpu.queue.writeBuffer(buffers.stepInfo, 0, Uint32Array.of(t, 1234, 0, 0));
      await runDispatches(device, [update]);
    },
    params: () => device.readFloats(buffers.params, 0, count),
    state: () => device.readFloats(buffers.state, 0, optimizerStateSlots(config) * count),
    destroy: () => Object.values(buffers).forEach((b) => b.destroy()),
  };
}

describe('optimizer update vs float64 reference', () => {
  for (const given of configs) {
    it(describeConfig(given), async () => {
      const device = await testDevice();
      const config = asFloat32(given);
      for (const count of sizes) {
        const params = randomFloats(count, count, -1, 1);
        const gpu = await gpuOptimizer(device, config, params);
        const refParams = Float64Array.from(params);
        const refState = Float64Array.from(initialState(config, count));
        for (let t = 1; t <= steps; t++) {
          const grads = gradients(count, 100 * t + count);
          await gpu.step(t, grads);
          optimizerStepRef(config, refParams, grads, refState, t);
        }
        const what = `${describeConfig(given)} (n=${count})`;
        // |p| ≤ 1.3 and every update is at most 0.1: each of the 5 steps rounds p once
        // (≤ 6e-8) and its update to a few ulp (≤ 3e-8), so the GPU stays within ~5e-7.
        expectClose(await gpu.params(), refParams, { atol: 1e-6 }, `${what} params`);
        // Each state value comes from a few float32 operations per step on terms no larger
        // than about its slot's largest value, so within ~8 ulp (5e-7) of that scale; a
        // common absolute tolerance would miss errors in small slots (Adadelta's Δ² ~ 1e-6).
        const state = await gpu.state();
        for (let slot = 0; slot < optimizerStateSlots(config); slot++) {
          const [start, end] = [slot * count, (slot + 1) * count];
          const refSlot = refState.subarray(start, end);
          const scale = refSlot.reduce((max, v) => Math.max(max, Math.abs(v)), 0);
          expectClose(state.subarray(start, end), refSlot, { atol: 1e-6 * scale }, `${what} state slot ${slot}`);
        }
        gpu.destroy();
      }
    });
  }
});

describe('optimizer closed forms (checks the reference, and the GPU without it)', () => {
  const g = Float64Array.of(0.5, -0.25, 1e-3, -1);
  const p0 = Float64Array.of(0.1, -0.2, 0.3, 0.4);
  const refSteps = (config: OptimizerConfig, grads: Float64Array[]) => {
    const params = Float64Array.from(p0);
    const state = Float64Array.from(initialState(config, p0.length));
    grads.forEach((gt, t) => optimizerStepRef(config, params, gt, state, t + 1));
    return params;
  };
  const expected = (f: (p: number, g: number, i: number) => number) => Float64Array.from(p0, (p, i) => f(p, g[i], i));
  const exact = { atol: 1e-15, rtol: 1e-12 };

  // (Adagrad's accumulator starts at float32 0.1: initialState is the GPU buffer's contents.)
  it('reference: first steps by hand', () => {
    const lr = 0.05;
    const m = 0.9;
    const g2 = Float64Array.from(g, (v) => -2 * v);
    expectClose(refSteps({ kind: 'sgd', learningRate: lr }, [g]), expected((p, gi) => p - lr * gi), exact, 'sgd');
    expectClose(
      refSteps({ kind: 'sgd', learningRate: lr, momentum: m }, [g, g2]),
      expected((p, gi, i) => p - lr * gi + (m * -lr * gi - lr * g2[i])),
      exact,
      'sgd momentum, 2 steps',
    );
    expectClose(refSteps({ kind: 'sgd', learningRate: lr, momentum: m, nesterov: true }, [g]), expected((p, gi) => p - (1 + m) * lr * gi), exact, 'nesterov');
    expectClose(refSteps({ kind: 'adagrad', learningRate: lr }, [g]), expected((p, gi) => p - (lr * gi) / Math.sqrt(Math.fround(0.1) + gi * gi + 1e-7)), exact, 'adagrad');
    expectClose(
      refSteps({ kind: 'adadelta', learningRate: lr }, [g]),
      expected((p, gi) => p - (lr * Math.sqrt(1e-7) * gi) / Math.sqrt(0.05 * gi * gi + 1e-7)),
      exact,
      'adadelta',
    );
    expectClose(refSteps({ kind: 'rmsprop', learningRate: lr }, [g]), expected((p, gi) => p - (lr * gi) / Math.sqrt(0.1 * gi * gi + 1e-7)), exact, 'rmsprop');
    // Lion: from m = 0 the first step is lr·sign(g); the second's sign is that of
    // β1·(1 − β2)·g + (1 − β1)·g2 = (0.009 − 0.2)·g, so it undoes the first.
    expectClose(refSteps({ kind: 'lion', learningRate: lr }, [g]), expected((p, gi) => p - lr * Math.sign(gi)), exact, 'lion');
    expectClose(refSteps({ kind: 'lion', learningRate: lr }, [g, g2]), p0, exact, 'lion, 2 steps');
    // AMSGrad: a second gradient of half the first leaves v below v₁, so the second step divides by √v₁.
    const half = Float64Array.from(g, (v) => v / 2);
    const [b1, b2] = [0.9, 0.999];
    expectClose(
      refSteps({ kind: 'adam', learningRate: lr, amsgrad: true }, [g, half]),
      expected((p, gi) => {
        const [m1, v1] = [(1 - b1) * gi, (1 - b2) * gi * gi];
        const [m2, v2] = [b1 * m1 + (1 - b1) * gi / 2, b2 * v1 + (1 - b2) * gi * gi / 4];
        const step = (t: number, m: number, v: number) => (m * lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t) / (Math.sqrt(v) + 1e-7);
        return p - step(1, m1, v1) - step(2, m2, Math.max(v1, v2));
      }),
      exact,
      'adam amsgrad, 2 steps',
    );
  });

  it("RMSprop: Keras' docstring example (var 10, loss var²/2, lr 0.1 → 9.683772)", async () => {
    const config: OptimizerConfig = { kind: 'rmsprop', learningRate: 0.1 };
    const ref = Float64Array.of(10);
    optimizerStepRef(config, ref, [10], new Float64Array(3), 1);
    expect(ref[0]).toBeCloseTo(9.683772, 6);
    const gpu = await gpuOptimizer(await testDevice(), config, Float32Array.of(10));
    await gpu.step(1, Float32Array.of(10));
    // ulp(9.68) in float32 is 9.5e-7.
    expectClose(await gpu.params(), [9.683772], { atol: 1.5e-6 }, 'rmsprop docstring');
    gpu.destroy();
  });

  it('Adam with a constant gradient moves each parameter by −lr·sign(g) per step', async () => {
    // m_t = (1 − β1^t)·g and v_t = (1 − β2^t)·g², so with s = √(1 − β2^t) each step is
    // exactly lr·g·s / (s·|g| + ε): −lr·sign(g) short by lr·ε/(s·|g|) ≤ 1e-8 for |g| ≥ 1/3.
    const count = 1000;
    const lr = 0.001;
    const config: OptimizerConfig = { kind: 'adam' };
    const grad = Float32Array.from(randomFloats(count, 5, -1, 1), (u) => (u < 0 ? u - 0.5 : u + 0.5) / 1.5);
    const params = randomFloats(count, 6, -1, 1);
    const ref = Float64Array.from(params);
    const refState = new Float64Array(2 * count);
    const gpu = await gpuOptimizer(await testDevice(), config, params);
    for (let t = 1; t <= steps; t++) {
      optimizerStepRef(config, ref, grad, refState, t);
      await gpu.step(t, grad);
      const byHand = Float64Array.from(params, (p, i) => p - t * lr * Math.sign(grad[i]));
      expectClose(ref, byHand, { atol: t * 1e-8 }, `reference after step ${t}`);
      // Float32: one rounding of p (≤ 6e-8) per step besides the ε term above; without the
      // bias correction, or with t off by one, the first step alone would be off by ≥ 2e-4.
      expectClose(await gpu.params(), byHand, { atol: t * 1e-7 }, `GPU after step ${t}`);
    }
    gpu.destroy();
  });

  it("Adam's bias correction at step counts far from 1 (series and exp sides of expm1)", async () => {
    // One step from zero state at step count t: with p = 0 the result is the update itself,
    // lr·√(1 − β2^t)/(1 − β1^t) · 0.1·g / (√0.001·|g| + ε), which spans 10⁻³..3·10⁻³.
    // t·ln β2 crosses the kernel's switch from its polynomial to exp(x) − 1 at t ≈ 100.
    const device = await testDevice();
    const config = asFloat32({ kind: 'adam' });
    const grads = Float32Array.of(0.5, -1, 0.25, -0.75);
    for (const t of [1, 3, 10, 99, 100, 101, 250, 1000, 10 ** 5]) {
      const gpu = await gpuOptimizer(device, config, new Float32Array(grads.length));
      await gpu.step(t, grads);
      const ref = new Float64Array(grads.length);
      optimizerStepRef(config, ref, grads, new Float64Array(2 * grads.length), t);
      // A dozen float32 roundings, and 1 − β^t to within 2e-6 relative (exp(x) − 1 loses up
      // to ~10× near |x| = 0.1): 3e-6 relative. 1 − pow(β, t) may be off by 1e-4 at t = 1.
      expectClose(await gpu.params(), ref, { atol: 0, rtol: 3e-6 }, `adam update at t=${t}`);
      gpu.destroy();
    }
  });

  it("Nadam's momentum schedule at step counts far from 1: the kernel's series for ln(μ_1···μ_t) against the product multiplied out", async () => {
    // One step from zero state at step count t, as for Adam above: the update itself. μ_t and
    // the product change fastest over the first hundred steps (0.96^t), then settle.
    const device = await testDevice();
    const grads = Float32Array.of(0.5, -1, 0.25, -0.75);
    for (const config of [asFloat32({ kind: 'nadam' }), asFloat32({ kind: 'nadam', beta1: 0.5, beta2: 0.9 })]) {
      for (const t of [1, 2, 7, 30, 99, 100, 101, 400, 4000]) {
        const gpu = await gpuOptimizer(device, config, new Float32Array(grads.length));
        await gpu.step(t, grads);
        const ref = new Float64Array(grads.length);
        optimizerStepRef(config, ref, grads, new Float64Array(2 * grads.length), t);
        // As Adam's (3e-6), plus the series' float32 sum of terms up to 12 (≈ 1e-6 in the log).
        expectClose(await gpu.params(), ref, { atol: 0, rtol: 5e-6 }, `nadam β1=${config.beta1} update at t=${t}`);
        gpu.destroy();
      }
    }
  });

  it('plain SGD over 65,536·256 + 3 parameters: the dispatch spans a 2-D grid', async () => {
    const device = await testDevice();
    const count = 65536 * 256 + 3;
    const params = randomFloats(count, 10, -1, 1);
    const grads = randomFloats(count, 11, -1, 1);
    const gpu = await gpuOptimizer(device, { kind: 'sgd', learningRate: 0.5 }, params);
    await gpu.step(1, grads);
    const actual = await gpu.params();
    const lr = 0.5;
    // lr·g is exact (a power of two), so p − lr·g is one float32 rounding, fused or not.
    const mismatch = actual.findIndex((v, i) => v !== Math.fround(params[i] - lr * grads[i]));
    expect(mismatch, `element ${mismatch}`).toBe(-1);
    gpu.destroy();
  });

  it('plain SGD is p − lr·g in float32, and a learning-rate change takes one float write', async () => {
    const device = await testDevice();
    const count = 1000;
    const params = randomFloats(count, 7, -1, 1);
    const grads = [randomFloats(count, 8, -1, 1), randomFloats(count, 9, -1, 1)];
    const gpu = await gpuOptimizer(device, { kind: 'sgd' }, params);
    await gpu.step(1, grads[0]);
    // The schedule's write: float 0 of hyper is the learning rate, and nothing is rebuilt.
    device.gpu.queue.writeBuffer(gpu.buffers.hyper, 0, Float32Array.of(0.5));
    await gpu.step(2, grads[1]);
    // Float32 p − lr·g with lr·g rounded, or fused into one multiply-add, which a driver may
    // do (the product of two floats is exact in a double; Float32Array.map rounds the result).
    let separate = new Float32Array(params);
    let fused = new Float32Array(params);
    for (const [lr, g] of [[Math.fround(0.01), grads[0]], [0.5, grads[1]]] as const) {
      separate = separate.map((p, i) => p - Math.fround(lr * g[i]));
      fused = fused.map((p, i) => p - lr * g[i]);
    }
    const actual = await gpu.params();
    // Bit-exact: after two steps each parameter must equal one of the two float32 outcomes.
    const mismatch = actual.findIndex((v, i) => v !== separate[i] && v !== fused[i]);
    expect(mismatch, `sgd: element ${mismatch} is ${actual[mismatch]}, expected ${separate[mismatch]}`).toBe(-1);
    gpu.destroy();
  });
});

describe('optimizer configuration', () => {
  it('fills in Keras 3 defaults, and rejects a hyper-parameter the kind does not have', () => {
    expect(withDefaults({ kind: 'adam', learningRate: 0.01 })).toEqual({ kind: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false, weightDecay: 0 });
    expect(withDefaults({ kind: 'adamax' })).toEqual({ kind: 'adamax', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 });
    expect(withDefaults({ kind: 'nadam' })).toEqual({ kind: 'nadam', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 });
    expect(withDefaults({ kind: 'adamw' })).toEqual({ kind: 'adamw', learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false, weightDecay: 0.004 });
    expect(withDefaults({ kind: 'lion' })).toEqual({ kind: 'lion', learningRate: 0.001, beta1: 0.9, beta2: 0.99, weightDecay: 0 });
    expect(withDefaults({ kind: 'adadelta' })).toEqual({ kind: 'adadelta', learningRate: 0.001, rho: 0.95, epsilon: 1e-7, weightDecay: 0 });
    expect(OPTIMIZER_DEFAULTS.rmsprop).toEqual({ learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false, weightDecay: 0 });
    expect(OPTIMIZER_DEFAULTS.adagrad).toEqual({ learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7, weightDecay: 0 });
    expect(withDefaults({ kind: 'sgd', momentum: undefined })).toEqual({ kind: 'sgd', learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0 });
    expect(() => withDefaults({ kind: 'sgd', beta1: 0.9 })).toThrow(/sgd has no hyper-parameter 'beta1'/);
  });

  it('encodes hyper-parameters learning rate first, and sets the initial state', () => {
    expect(Array.from(encodeHyper(withDefaults({ kind: 'sgd', momentum: 0.5, nesterov: true })))).toEqual([Math.fround(0.01), 0.5, 1, 0]);
    expect(encodeHyper(withDefaults({ kind: 'adamw' })).at(-1)).toBe(Math.fround(0.004)); // the weight decay, last
    const adam = encodeHyper(withDefaults({ kind: 'adam', learningRate: 0.125 }));
    expect(adam[0]).toBe(0.125);
    expect(adam[4]).toBeCloseTo(Math.log(0.9), 6);
    expect(Array.from(initialState({ kind: 'adagrad' }, 3))).toEqual([0.1, 0.1, 0.1].map(Math.fround));
    expect(Array.from(initialState({ kind: 'adagrad', initialAccumulatorValue: 0.5 }, 2))).toEqual([0.5, 0.5]);
    expect(Array.from(initialState({ kind: 'rmsprop' }, 2))).toEqual([0, 0, 0, 0, 0, 0]);
    // AMSGrad's v̂ is a third slot; Lion keeps one.
    expect([optimizerStateSlots({ kind: 'adam' }), optimizerStateSlots({ kind: 'adam', amsgrad: true }), optimizerStateSlots({ kind: 'lion' })]).toEqual([2, 3, 1]);
  });

  it('refuses a state buffer too small for the kind', async () => {
    const device = await testDevice();
    const count = 100;
    const buffers = {
      params: device.createBuffer('params', count * 4),
      grads: device.createBuffer('grads', count * 4),
      state: device.createBuffer('state', count * 4), // Adam needs (2, count)
      hyper: device.upload('hyper', encodeHyper(withDefaults({ kind: 'adam' }))),
      stepInfo: device.createBuffer('stepInfo', 16),
    };
    await expect(optimizerUpdate(device, withDefaults({ kind: 'adam' }), { count }, buffers)).rejects.toThrow(/adam update: state holds 400 bytes, needs 800/);
    Object.values(buffers).forEach((b) => b.destroy());
  });
});
