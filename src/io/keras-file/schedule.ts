/**
 * Keras 3 learning-rate schedules in a saved optimizer config (its learning_rate, as
 * `{module: 'keras.optimizers.schedules', class_name, config, registered_name}`), as the
 * engine's schedules (src/nn/schedules.ts), both ways. A schedule's optimizer keeps no
 * learning_rate variable: its variables are iterations, then the state.
 */
import { checkSchedule, type LearningRateSchedule, type ScheduleKind } from '../../nn/schedules.js';

type Json = Record<string, unknown>;

/** Keras class ↔ engine kind, the name Keras gives it by default, and Keras argument ↔ engine argument. */
const KERAS_SCHEDULES: Record<string, { kind: ScheduleKind; name: string; args: Record<string, string> }> = {
  ExponentialDecay: { kind: 'exponentialDecay', name: 'ExponentialDecay', args: { initial_learning_rate: 'initialLearningRate', decay_steps: 'decaySteps', decay_rate: 'decayRate', staircase: 'staircase' } },
  InverseTimeDecay: { kind: 'inverseTimeDecay', name: 'InverseTimeDecay', args: { initial_learning_rate: 'initialLearningRate', decay_steps: 'decaySteps', decay_rate: 'decayRate', staircase: 'staircase' } },
  PiecewiseConstantDecay: { kind: 'piecewiseConstantDecay', name: 'PiecewiseConstant', args: { boundaries: 'boundaries', values: 'values' } },
  PolynomialDecay: {
    kind: 'polynomialDecay',
    name: 'PolynomialDecay',
    args: { initial_learning_rate: 'initialLearningRate', decay_steps: 'decaySteps', end_learning_rate: 'endLearningRate', power: 'power', cycle: 'cycle' },
  },
  CosineDecay: {
    kind: 'cosineDecay',
    name: 'CosineDecay',
    args: { initial_learning_rate: 'initialLearningRate', decay_steps: 'decaySteps', alpha: 'alpha', warmup_target: 'warmupTarget', warmup_steps: 'warmupSteps' },
  },
  CosineDecayRestarts: {
    kind: 'cosineDecayRestarts',
    name: 'SGDRDecay',
    args: { initial_learning_rate: 'initialLearningRate', first_decay_steps: 'firstDecaySteps', t_mul: 'tMul', m_mul: 'mMul', alpha: 'alpha' },
  },
};

/** The engine's schedule for a Keras learning_rate object, or why it cannot take it. */
export function scheduleFromKeras(value: Json): { schedule: LearningRateSchedule } | { unsupported: string } {
  const className = String(value.class_name);
  const known = KERAS_SCHEDULES[className];
  if (!known || typeof value.config !== 'object' || value.config === null) {
    return { unsupported: `learning_rate is the schedule ${className}, which the engine does not have (it has ${Object.keys(KERAS_SCHEDULES).join(', ')})` };
  }
  const args: Json = { kind: known.kind };
  for (const [key, v] of Object.entries(value.config as Json)) {
    if (key === 'name' || v === null) continue; // warmup_target null: no warm-up
    if (!(key in known.args)) return { unsupported: `the ${className} learning-rate schedule's ${key} is not supported` };
    args[known.args[key]] = v;
  }
  try {
    return { schedule: checkSchedule(`${className} learning-rate schedule`, args) };
  } catch (err) {
    return { unsupported: (err as Error).message };
  }
}

/** The Keras 3 learning_rate object of an engine schedule. */
export function scheduleToKeras(schedule: LearningRateSchedule): Json {
  const [className, known] = Object.entries(KERAS_SCHEDULES).find(([, k]) => k.kind === schedule.kind)!;
  const resolved = checkSchedule('schedule', schedule) as unknown as Json;
  const config: Json = {};
  for (const [key, name] of Object.entries(known.args)) {
    if (key === 'warmup_target') config[key] = resolved[name] ?? null;
    else config[key] = resolved[name];
    // Keras writes the name after CosineDecay's alpha, before its warm-up; last for the others.
    if (key === 'alpha' && known.kind === 'cosineDecay') config.name = known.name;
  }
  if (!('name' in config)) config.name = known.name;
  return { module: 'keras.optimizers.schedules', class_name: className, config, registered_name: null };
}
