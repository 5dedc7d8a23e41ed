/**
 * Keras 3 optimizers in a saved file: their config (compile_config.optimizer in a .keras,
 * training_config.optimizer_config in a legacy .h5) and their variables, as the engine's
 * optimizer config and per-weight state.
 *
 * Keras 3 keeps an optimizer's variables in this order (optimizer/vars/<i> in a .keras,
 * optimizer_weights/weight_names in a .h5): iterations (int scalar), learning_rate (float
 * scalar), then the state of each trainable weight, for Adam, AdamW, Adamax and Nadam interleaved per weight
 * (m0, v0, m1, v1, ...), for Adadelta likewise (accumulated grad², accumulated delta²), for
 * SGD with momentum one velocity per weight, for Adagrad one accumulator per weight, and for
 * RMSprop in blocks: every velocity, then (momentum > 0) every momentum, then (centered) every
 * average gradient; Adam and AdamW with amsgrad then every velocity_hat (v̂); Lion one
 * momentum per weight; Nadam then keeps one more scalar, u_product (kerasTrailingScalars). The engine's state slots (src/nn/optimizers.ts) hold the same
 * quantities under the same update rules. An optimizer whose learning_rate is a schedule
 * (schedule.ts) keeps no learning_rate variable (kerasLeadingScalars); one with use_ema keeps
 * the weights' moving averages, one per trainable weight, before its own state.
 */
import { EMA_DEFAULTS, emaSlot } from '../../kernels/optimizer.js';
import { withDefaults, type OptimizerConfig, type OptimizerKind, type ResolvedOptimizer } from '../../nn/optimizers.js';
import { scheduleFromKeras, scheduleToKeras } from './schedule.js';
import { snakeCase } from './weights-layout.js';

type Json = Record<string, unknown>;

/** Keras class name ↔ engine kind, and Keras argument ↔ engine hyper-parameter (every class also has weight_decay). */
const KERAS_OPTIMIZERS: Record<string, { kind: OptimizerKind; args: Record<string, keyof OptimizerConfig> }> = {
  SGD: { kind: 'sgd', args: { learning_rate: 'learningRate', momentum: 'momentum', nesterov: 'nesterov' } },
  Adam: { kind: 'adam', args: { learning_rate: 'learningRate', beta_1: 'beta1', beta_2: 'beta2', epsilon: 'epsilon', amsgrad: 'amsgrad' } },
  AdamW: { kind: 'adamw', args: { learning_rate: 'learningRate', beta_1: 'beta1', beta_2: 'beta2', epsilon: 'epsilon', amsgrad: 'amsgrad' } },
  Adamax: { kind: 'adamax', args: { learning_rate: 'learningRate', beta_1: 'beta1', beta_2: 'beta2', epsilon: 'epsilon' } },
  Nadam: { kind: 'nadam', args: { learning_rate: 'learningRate', beta_1: 'beta1', beta_2: 'beta2', epsilon: 'epsilon' } },
  Adadelta: { kind: 'adadelta', args: { learning_rate: 'learningRate', rho: 'rho', epsilon: 'epsilon' } },
  RMSprop: { kind: 'rmsprop', args: { learning_rate: 'learningRate', rho: 'rho', momentum: 'momentum', epsilon: 'epsilon', centered: 'centered' } },
  Adagrad: { kind: 'adagrad', args: { learning_rate: 'learningRate', initial_accumulator_value: 'initialAccumulatorValue', epsilon: 'epsilon' } },
  Lion: { kind: 'lion', args: { learning_rate: 'learningRate', beta_1: 'beta1', beta_2: 'beta2' } },
};

/** Keras' gradient clipping arguments, any class's. */
const CLIPPING_ARGS: Record<string, 'clipNorm' | 'clipValue' | 'globalClipNorm'> = { clipnorm: 'clipNorm', clipvalue: 'clipValue', global_clipnorm: 'globalClipNorm' };

/** Read and ignored: the name. Any other argument must be off (null or false). */
const IGNORED = new Set(['name']);

/** Keras' EMA arguments, read together (use_ema decides whether the other two count). */
const EMA_ARGS = new Set(['use_ema', 'ema_momentum', 'ema_overwrite_frequency']);

/** The engine's config for a Keras optimizer config, or why the engine cannot resume it. */
export function optimizerFromKeras(entry: unknown): { config: OptimizerConfig } | { unsupported: string } {
  if (!isObject(entry) || typeof entry.class_name !== 'string' || !isObject(entry.config)) return { unsupported: 'the optimizer config is not {class_name, config}' };
  const known = KERAS_OPTIMIZERS[entry.class_name];
  if (!known) return { unsupported: `optimizer ${entry.class_name} is not one the engine has (${Object.keys(KERAS_OPTIMIZERS).join(', ')})` };
  const config: OptimizerConfig = { kind: known.kind };
  for (const [key, value] of Object.entries(entry.config)) {
    // weight_decay null: none (AdamW's default applies only where the file does not say).
    if (key === 'weight_decay' && value === null) {
      if (known.kind === 'adamw') config.weightDecay = 0;
      continue;
    }
    if (key in CLIPPING_ARGS && value !== null) {
      if (typeof value !== 'number') return { unsupported: `${entry.class_name} ${key} is ${JSON.stringify(value)}, not a number` };
      config[CLIPPING_ARGS[key]] = value;
      continue;
    }
    // amsgrad false is Adam's default: left out, so that a config read back equals the one written.
    if (key === 'amsgrad' && value === false) continue;
    if (EMA_ARGS.has(key)) continue;
    if (key === 'learning_rate' && isObject(value)) {
      const parsed = scheduleFromKeras(value);
      if ('unsupported' in parsed) return parsed;
      config.schedule = parsed.schedule;
      continue;
    }
    const name = key === 'weight_decay' ? 'weightDecay' : known.args[key];
    if (name) {
      if (typeof value !== (name === 'nesterov' || name === 'centered' || name === 'amsgrad' ? 'boolean' : 'number')) {
        return { unsupported: `${entry.class_name} ${key} is ${JSON.stringify(value)} (a schedule or another value the engine does not take)` };
      }
      (config as unknown as Json)[name] = value;
    } else if (!IGNORED.has(key) && value !== null && value !== false) {
      return { unsupported: `${entry.class_name} ${key}: ${JSON.stringify(value)} is not supported` };
    }
  }
  const { use_ema: useEma, ema_momentum: momentum, ema_overwrite_frequency: every } = entry.config;
  if (useEma === true) {
    if (typeof momentum !== 'number') return { unsupported: `${entry.class_name} ema_momentum is ${JSON.stringify(momentum)}, not a number` };
    if (every != null && typeof every !== 'number') return { unsupported: `${entry.class_name} ema_overwrite_frequency is ${JSON.stringify(every)}, not a number` };
    Object.assign(config, { useEma: true, emaMomentum: momentum }, every != null ? { emaOverwriteFrequency: every } : {});
  } else if (useEma != null && useEma !== false) {
    return { unsupported: `${entry.class_name} use_ema is ${JSON.stringify(useEma)}` };
  }
  return { config };
}

/** The Keras 3 config (`{module, class_name, config, registered_name}`) of an engine optimizer. */
export function optimizerToKeras(config: OptimizerConfig): Json {
  const resolved = withDefaults(config) as unknown as Record<string, number | boolean>;
  const [className, known] = Object.entries(KERAS_OPTIMIZERS).find(([, k]) => k.kind === config.kind)!;
  const own = Object.fromEntries(Object.entries(known.args).map(([key, name]) => [key, resolved[name]]));
  const { learning_rate, ...rest } = own;
  return {
    module: 'keras.optimizers',
    class_name: className,
    config: {
      // The name Keras 3 gives one created without a name (auto_name): AdamW 'adam_w', RMSprop 'rm_sprop'.
      name: snakeCase(className),
      learning_rate: config.schedule ? scheduleToKeras(config.schedule) : learning_rate,
      weight_decay: resolved.weightDecay === 0 ? null : resolved.weightDecay,
      clipnorm: config.clipNorm ?? null,
      global_clipnorm: config.globalClipNorm ?? null,
      clipvalue: config.clipValue ?? null,
      use_ema: config.useEma ?? false,
      ema_momentum: config.emaMomentum ?? EMA_DEFAULTS.emaMomentum,
      ema_overwrite_frequency: config.emaOverwriteFrequency ?? null,
      loss_scale_factor: null,
      gradient_accumulation_steps: null,
      ...rest,
    },
    registered_name: null,
  };
}

/** The scalar variables before the state: iterations and learning_rate, or iterations alone under a schedule. */
export function kerasLeadingScalars(config: OptimizerConfig): number {
  return config.schedule ? 1 : 2;
}

/**
 * For each Keras optimizer variable after iterations and learning_rate, the engine state slot
 * and the trainable weight (index among the trainable weights) it holds.
 */
export function kerasStateVariables(config: OptimizerConfig, trainable: number): { slot: number; weight: number }[] {
  const resolved = withDefaults(config);
  const block = (slot: number) => Array.from({ length: trainable }, (_, weight) => ({ slot, weight }));
  // Keras builds use_ema's averages (one per weight) before the optimizer's own variables.
  return [...(resolved.useEma ? block(emaSlot(resolved)) : []), ...kindStateVariables(resolved, trainable)];
}

function kindStateVariables(resolved: ResolvedOptimizer, trainable: number): { slot: number; weight: number }[] {
  const perWeight = (slots: number[]) => Array.from({ length: trainable }, (_, weight) => slots.map((slot) => ({ slot, weight }))).flat();
  const block = (slot: number) => Array.from({ length: trainable }, (_, weight) => ({ slot, weight }));
  switch (resolved.kind) {
    case 'sgd':
      return resolved.momentum > 0 ? block(0) : [];
    case 'adam':
    case 'adamw':
      // AMSGrad's v̂ of every weight follows the interleaved m and v.
      return [...perWeight([0, 1]), ...(resolved.amsgrad ? block(2) : [])];
    case 'adamax':
    case 'nadam':
    case 'adadelta':
      return perWeight([0, 1]);
    case 'rmsprop':
      return [...block(0), ...(resolved.momentum > 0 ? block(1) : []), ...(resolved.centered ? block(2) : [])];
    case 'adagrad':
    case 'lion':
      return block(0);
  }
}

/**
 * The scalar variables Keras keeps after the state, at `iterations` steps: Nadam's u_product,
 * the running product μ_1···μ_t of its momentum schedule μ_i = β1(1 − ½·0.96^i). The engine's
 * kernel derives it from the step count, so it is written for Keras and not read back.
 */
export function kerasTrailingScalars(config: OptimizerConfig, iterations: number): number[] {
  const resolved = withDefaults(config);
  if (resolved.kind !== 'nadam') return [];
  const beta1 = Math.fround(resolved.beta1);
  let product = 1;
  for (let step = 1; step <= iterations; step++) product *= beta1 * (1 - 0.5 * 0.96 ** step);
  return [product];
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
