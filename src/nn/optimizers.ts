/**
 * Optimizers as users name them (`optimizers.adam({ learningRate })` or 'adam'), and the
 * update step recorded at the end of every training step: one dispatch over the flat
 * parameter buffer, its state in one buffer [slots, params]. Keras 3's defaults are filled in
 * here (withDefaults), so the kernel takes every hyper-parameter explicitly.
 */
import type { Device } from '../device/device.js';
import { clipByNorm, clipByValue } from '../kernels/clip-gradient.js';
import type { Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';
import type { OptimizerRecorder } from './step-compiler.js';
import { emaSlot, encodeHyper, optimizerUpdate, stateSlots, type OptimizerKind, type ResolvedOptimizer } from '../kernels/optimizer.js';
import type { RecordContext } from './layers/layer.js';
import { checkSchedule, scheduleRate, type LearningRateSchedule } from './schedules.js';
import type { WeightStore } from './weights.js';

export type { OptimizerKind, ResolvedOptimizer };

/** An optimizer as a user writes it: the kind, and any hyper-parameter to change from Keras' default. */
export interface OptimizerConfig {
  kind: OptimizerKind;
  learningRate?: number;
  momentum?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  rho?: number;
  centered?: boolean;
  /** Adam's and AdamW's AMSGrad variant: the update divides by the running maximum of v. */
  amsgrad?: boolean;
  initialAccumulatorValue?: number;
  /** Keras 3's weight_decay: p −= p·weightDecay·learningRate before each update (0: none). */
  weightDecay?: number;
  /** Keras' clipnorm: each weight's gradient g scaled by clipNorm / max(‖g‖, clipNorm) before the update. */
  clipNorm?: number;
  /** Keras' clipvalue: every gradient value clamped to ±clipValue before the update. */
  clipValue?: number;
  /** Keras' global_clipnorm: all gradients scaled by globalClipNorm / max(‖all of them‖, globalClipNorm) before the update. */
  globalClipNorm?: number;
  /**
   * Keras' learning_rate given as a schedule (src/nn/schedules.ts): before every step the rate
   * becomes the schedule's value at the optimizer's step count; learningRate is then the rate
   * of the latest step (or the schedule's first, before any).
   */
  schedule?: LearningRateSchedule;
  /**
   * Keras' use_ema: keep the moving average a = μ·a + (1 − μ)·w of the weights after every
   * step (μ = emaMomentum, default 0.99), set the weights to it at the end of fit, and with
   * emaOverwriteFrequency n also every n steps.
   */
  useEma?: boolean;
  emaMomentum?: number;
  emaOverwriteFrequency?: number;
}

/** Keras' gradient clipping options, any kind's; at most one may be set, as in Keras. */
export const CLIPPING = ['clipNorm', 'clipValue', 'globalClipNorm'] as const;

/** Options of any kind that are not the kernel's hyper-parameters. */
const NOT_HYPER: readonly string[] = [...CLIPPING, 'schedule', 'useEma', 'emaMomentum', 'emaOverwriteFrequency'];

type Hyper<K extends OptimizerKind> = Omit<Extract<ResolvedOptimizer, { kind: K }>, 'kind'>;

/**
 * Keras 3's defaults, per kind. (Adadelta's is 0.001; the old Keras 1.0 is the presets'
 * business.) AdamW is Adam with a weight decay of 0.004; the others decay only when asked.
 */
export const OPTIMIZER_DEFAULTS: { readonly [K in OptimizerKind]: Readonly<Hyper<K>> } = {
  sgd: { learningRate: 0.01, momentum: 0, nesterov: false, weightDecay: 0 },
  adam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false, weightDecay: 0 },
  adamw: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, amsgrad: false, weightDecay: 0.004 },
  adamax: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
  nadam: { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 },
  adadelta: { learningRate: 0.001, rho: 0.95, epsilon: 1e-7, weightDecay: 0 },
  rmsprop: { learningRate: 0.001, rho: 0.9, momentum: 0, epsilon: 1e-7, centered: false, weightDecay: 0 },
  adagrad: { learningRate: 0.001, initialAccumulatorValue: 0.1, epsilon: 1e-7, weightDecay: 0 },
  lion: { learningRate: 0.001, beta1: 0.9, beta2: 0.99, weightDecay: 0 },
};

/** Fills in Keras' defaults; a hyper-parameter that the kind does not have is an error. */
export function withDefaults(config: OptimizerConfig): ResolvedOptimizer {
  const defaults: Record<string, number | boolean> = OPTIMIZER_DEFAULTS[config.kind];
  for (const [name, value] of Object.entries(config)) {
    if (name !== 'kind' && value !== undefined && !(name in defaults) && !NOT_HYPER.includes(name)) throw new Error(`${config.kind} has no hyper-parameter '${name}'`);
  }
  const given = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined));
  // A schedule's first rate, until a step sets the rate of its own.
  const scheduled = config.schedule && config.learningRate === undefined ? { learningRate: scheduleRate(config.schedule, 0) } : {};
  return { ...defaults, ...given, ...scheduled } as ResolvedOptimizer;
}

/** State slots per parameter of an optimizer (the layout shaders/optimizer.wgsl defines). */
export function optimizerStateSlots(config: OptimizerConfig): number {
  return stateSlots(withDefaults(config));
}

/** The state before the first step, `[slots, count]`: zeros, except Adagrad's accumulator. */
export function initialState(config: OptimizerConfig, count: number): Float32Array {
  const resolved = withDefaults(config);
  const state = new Float32Array(stateSlots(resolved) * count);
  // Adagrad's accumulator, its one slot (an EMA slot after it starts at zero).
  if (resolved.kind === 'adagrad') state.fill(resolved.initialAccumulatorValue, 0, count);
  return state;
}

/** Keras' EMA options: useEma true or false, emaMomentum in [0, 1), emaOverwriteFrequency a positive integer; the latter two only with useEma. */
function checkEma(config: OptimizerConfig): void {
  const { useEma, emaMomentum, emaOverwriteFrequency } = config;
  if (useEma !== undefined && typeof useEma !== 'boolean') throw new Error(`${config.kind}: useEma must be true or false, got ${JSON.stringify(useEma)}`);
  if (!useEma && (emaMomentum !== undefined || emaOverwriteFrequency !== undefined)) throw new Error(`${config.kind}: emaMomentum and emaOverwriteFrequency need useEma: true`);
  if (emaMomentum !== undefined && !(typeof emaMomentum === 'number' && emaMomentum >= 0 && emaMomentum < 1)) throw new Error(`${config.kind}: emaMomentum must be in [0, 1), got ${JSON.stringify(emaMomentum)}`);
  if (emaOverwriteFrequency !== undefined && !(Number.isInteger(emaOverwriteFrequency) && emaOverwriteFrequency >= 1)) {
    throw new Error(`${config.kind}: emaOverwriteFrequency must be a positive integer, got ${JSON.stringify(emaOverwriteFrequency)}`);
  }
}

export type OptimizerSpec = OptimizerConfig | OptimizerKind;

type Args<K extends OptimizerKind> = Omit<OptimizerConfig, 'kind'> & { kind?: K };

export const optimizers = {
  sgd: (args: Args<'sgd'> = {}): OptimizerConfig => ({ ...args, kind: 'sgd' }),
  adam: (args: Args<'adam'> = {}): OptimizerConfig => ({ ...args, kind: 'adam' }),
  adamw: (args: Args<'adamw'> = {}): OptimizerConfig => ({ ...args, kind: 'adamw' }),
  adamax: (args: Args<'adamax'> = {}): OptimizerConfig => ({ ...args, kind: 'adamax' }),
  nadam: (args: Args<'nadam'> = {}): OptimizerConfig => ({ ...args, kind: 'nadam' }),
  adadelta: (args: Args<'adadelta'> = {}): OptimizerConfig => ({ ...args, kind: 'adadelta' }),
  rmsprop: (args: Args<'rmsprop'> = {}): OptimizerConfig => ({ ...args, kind: 'rmsprop' }),
  adagrad: (args: Args<'adagrad'> = {}): OptimizerConfig => ({ ...args, kind: 'adagrad' }),
  lion: (args: Args<'lion'> = {}): OptimizerConfig => ({ ...args, kind: 'lion' }),
};

/** Adam's bias correction divides by 1 - beta^t, which is 0 for a beta of 1. */
const BELOW_ONE = ['beta1', 'beta2'];
/** Decay factors of a running average: above 1 it grows without bound (Keras refuses such a momentum too). */
const AT_MOST_ONE = ['rho', 'momentum'];

export function resolveOptimizer(spec: OptimizerSpec): OptimizerConfig {
  const config = typeof spec === 'string' ? { kind: spec } : spec;
  if (!config || !(config.kind in optimizers)) {
    throw new Error(`unknown optimizer ${JSON.stringify(typeof spec === 'string' ? spec : config?.kind)} (supported: ${Object.keys(optimizers).join(', ')})`);
  }
  withDefaults(config); // throws on a hyper-parameter the kind does not have
  const defaults: Record<string, number | boolean> = OPTIMIZER_DEFAULTS[config.kind];
  const clipping = CLIPPING.filter((name) => config[name] !== undefined);
  if (clipping.length > 1) throw new Error(`${config.kind}: only one of clipNorm, clipValue and globalClipNorm can be set (as in Keras), got ${clipping.join(' and ')}`);
  for (const name of clipping) {
    const value = config[name];
    if (typeof value !== 'number' || !(Number.isFinite(value) && value > 0)) throw new Error(`${config.kind}: ${name} must be a positive number, got ${JSON.stringify(value)}`);
  }
  if (config.schedule !== undefined) checkSchedule(`${config.kind}: schedule`, config.schedule);
  checkEma(config);
  for (const [name, value] of Object.entries(config)) {
    if (name === 'kind' || value === undefined || NOT_HYPER.includes(name)) continue;
    const type = typeof defaults[name];
    if (typeof value !== type) throw new Error(`${config.kind}: ${name} must be a ${type}, got ${JSON.stringify(value)}`);
    if (typeof value !== 'number') continue;
    if (!(Number.isFinite(value) && value >= 0)) throw new Error(`${config.kind}: ${name} must be a non-negative number, got ${value}`);
    if (BELOW_ONE.includes(name) && value >= 1) throw new Error(`${config.kind}: ${name} must be below 1, got ${value}`);
    if (AT_MOST_ONE.includes(name) && value > 1) throw new Error(`${config.kind}: ${name} must be at most 1, got ${value}`);
  }
  return config;
}


export interface Optimizer extends OptimizerRecorder {
  readonly config: OptimizerConfig;
  /** (slots, params) f32: the optimizer's state over the flat parameter buffer, for checkpoints. */
  readonly state: GPUBuffer;
  /** Changes the learning rate from the next step on (one 4-byte write). */
  setLearningRate(rate: number): void;
  /** Before the step that follows `step` steps: sets the schedule's rate, if any, where it changed. */
  beforeStep(step: number): void;
  /** With useEma, the weights set to their moving average (Keras' finalize_variable_values, at the end of fit); otherwise nothing. */
  finalize(): void;
}

export function createOptimizer(device: Device, spec: OptimizerSpec, weights: WeightStore): Optimizer {
  let config = resolveOptimizer(spec);
  // Under a schedule the rate is the schedule's; until a step sets it, that of step 0 (withDefaults').
  if (config.schedule && config.learningRate === undefined) config = { ...config, learningRate: withDefaults(config).learningRate };
  const count = weights.paramCount;
  const state = device.upload(`${config.kind} state`, initialState(config, count)); // (slots, count)
  const hyperValues = encodeHyper(withDefaults(config));
  const hyper = device.upload(`${config.kind} hyper-parameters`, hyperValues);
  const setLearningRate = (rate: number) => {
    if (!(Number.isFinite(rate) && rate >= 0)) throw new Error(`learning rate must be a non-negative number, got ${rate}`);
    config = { ...config, learningRate: rate };
    hyperValues[0] = rate;
    device.gpu.queue.writeBuffer(hyper, 0, hyperValues, 0, 1);
  };
  return {
    get config() {
      return config;
    },
    state,
    record(ctx: RecordContext) {
      recordClipping(ctx, config, weights);
      ctx.graph.add({
        label: `${config.kind} update`,
        reads: [],
        writes: [],
        createDispatches: async () => [
          await optimizerUpdate(device, withDefaults(config), { count }, {
            params: weights.params,
            grads: weights.grads,
            state: { buffer: state, offset: 0, size: optimizerStateSlots(config) * count * 4 },
            hyper,
            stepInfo: ctx.stepInfo,
          }),
        ],
      });
    },
    setLearningRate,
    finalize() {
      const resolved = withDefaults(config);
      if (!resolved.useEma) return;
      // The average's slot covers the flat parameter buffer value for value (gaps included: zeros in both).
      const encoder = device.gpu.createCommandEncoder({ label: 'weights set to their moving average' });
      encoder.copyBufferToBuffer(state, emaSlot(resolved) * count * 4, weights.params, 0, count * 4);
      device.gpu.queue.submit([encoder.finish()]);
    },
    beforeStep(step: number) {
      if (!config.schedule) return;
      const rate = scheduleRate(config.schedule, step);
      if (rate !== config.learningRate) setLearningRate(rate);
    },
    destroy() {
      state.destroy();
      hyper.destroy();
    },
  };
}

/**
 * Records the gradient clipping the config asks for, on the flat gradient buffer before the
 * update (regularizers' terms included, as Keras clips the loss's gradient): clipValue over every
 * value, clipNorm per trainable weight, globalClipNorm over all of them at once.
 */
function recordClipping(ctx: RecordContext, config: OptimizerConfig, weights: WeightStore): void {
  const { device, graph } = ctx;
  const add = (label: string, dispatches: (scratch: Scratch) => Promise<Dispatch[]>) => graph.add({ label, reads: [], writes: [], createDispatches: (_bind, scratch) => dispatches(scratch) });
  const all = { buffer: weights.grads, offset: 0, size: weights.paramCount * 4 };
  if (config.clipValue !== undefined) add('clip gradients by value', async () => [await clipByValue(device, weights.paramCount, config.clipValue!, { g: all })]);
  if (config.globalClipNorm !== undefined) add('clip gradients by global norm', (scratch) => clipByNorm(device, weights.paramCount, config.globalClipNorm!, { g: all }, scratch));
  if (config.clipNorm !== undefined) {
    for (const slot of weights.slots.filter((s) => s.trainable)) {
      add(`clip ${slot.name} gradient by norm`, (scratch) => clipByNorm(device, slot.elements, config.clipNorm!, { g: weights.gradRange(slot) }, scratch));
    }
  }
}
