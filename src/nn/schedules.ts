/**
 * Keras' learning-rate schedules (keras.optimizers.schedules), given to an optimizer as its
 * `schedule` where Keras takes one as its learning_rate: before every training step the
 * optimizer's rate becomes the schedule's value at its step count t (0-based: the number of
 * steps taken before this one, Keras' `optimizer.iterations`). Formulas as Keras 3 computes them
 * (learning_rate_schedule.py), in float64 here; the kernel takes the rate as f32.
 */

export type LearningRateSchedule =
  /** initialLearningRate · decayRate^(t / decaySteps), the exponent floored with staircase. */
  | { kind: 'exponentialDecay'; initialLearningRate: number; decaySteps: number; decayRate: number; staircase?: boolean }
  /** initialLearningRate / (1 + decayRate · t / decaySteps), the fraction floored with staircase. */
  | { kind: 'inverseTimeDecay'; initialLearningRate: number; decaySteps: number; decayRate: number; staircase?: boolean }
  /** values[0] while t ≤ boundaries[0], values[i] while boundaries[i−1] < t ≤ boundaries[i], values.at(-1) after. */
  | { kind: 'piecewiseConstantDecay'; boundaries: number[]; values: number[] }
  /**
   * (initial − end)·(1 − t/decaySteps)^power + end, t held at decaySteps (Keras' defaults: end
   * 1e-4, power 1); with cycle, decaySteps grows to the next multiple of itself past t instead.
   */
  | { kind: 'polynomialDecay'; initialLearningRate: number; decaySteps: number; endLearningRate?: number; power?: number; cycle?: boolean }
  /**
   * initialLearningRate·((1 − alpha)·½(1 + cos(π·min(t, decaySteps)/decaySteps)) + alpha); with a
   * warmupTarget, first a straight line from initialLearningRate to it over warmupSteps, then
   * the cosine from warmupTarget.
   */
  | { kind: 'cosineDecay'; initialLearningRate: number; decaySteps: number; alpha?: number; warmupTarget?: number; warmupSteps?: number }
  /**
   * Cosine decay with warm restarts (SGDR): a cosine over firstDecaySteps, then again over tMul
   * times as many, each restart's peak mMul times the last's (Keras' defaults: tMul 2, mMul 1).
   */
  | { kind: 'cosineDecayRestarts'; initialLearningRate: number; firstDecaySteps: number; tMul?: number; mMul?: number; alpha?: number };

export type ScheduleKind = LearningRateSchedule['kind'];

/** Each kind's arguments: required, then optional with Keras' defaults. */
const ARGUMENTS: Record<ScheduleKind, { required: string[]; defaults: Record<string, number | boolean> }> = {
  exponentialDecay: { required: ['initialLearningRate', 'decaySteps', 'decayRate'], defaults: { staircase: false } },
  inverseTimeDecay: { required: ['initialLearningRate', 'decaySteps', 'decayRate'], defaults: { staircase: false } },
  piecewiseConstantDecay: { required: ['boundaries', 'values'], defaults: {} },
  polynomialDecay: { required: ['initialLearningRate', 'decaySteps'], defaults: { endLearningRate: 1e-4, power: 1, cycle: false } },
  cosineDecay: { required: ['initialLearningRate', 'decaySteps'], defaults: { alpha: 0, warmupSteps: 0 } },
  cosineDecayRestarts: { required: ['initialLearningRate', 'firstDecaySteps'], defaults: { tMul: 2, mMul: 1, alpha: 0 } },
};

/** Checks a schedule (`where` names it in errors) and fills in Keras' defaults. */
export function checkSchedule(where: string, value: unknown): LearningRateSchedule {
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  if (typeof value !== 'object' || value === null || !Object.hasOwn(ARGUMENTS, (value as { kind?: unknown }).kind as string)) {
    return fail(`expected { kind: ${Object.keys(ARGUMENTS).join(' | ')}, ... }, got ${JSON.stringify(value)}`);
  }
  const given = value as Record<string, unknown> & { kind: ScheduleKind };
  const { required, defaults } = ARGUMENTS[given.kind];
  for (const key of Object.keys(given)) {
    if (key !== 'kind' && !required.includes(key) && !(key in defaults) && !(given.kind === 'cosineDecay' && key === 'warmupTarget')) fail(`${given.kind} has no argument '${key}'`);
  }
  for (const key of required) if (given[key] === undefined) fail(`${given.kind} needs ${key}`);
  const s = { ...defaults, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) } as Record<string, unknown>;
  const number = (key: string, ok: (v: number) => boolean, what: string) => {
    if (key in s && !(typeof s[key] === 'number' && Number.isFinite(s[key]) && ok(s[key] as number))) fail(`${given.kind} ${key} must be ${what}, got ${JSON.stringify(s[key])}`);
  };
  for (const key of ['staircase', 'cycle']) if (key in s && typeof s[key] !== 'boolean') fail(`${given.kind} ${key} must be true or false, got ${JSON.stringify(s[key])}`);
  for (const key of ['initialLearningRate', 'endLearningRate', 'warmupTarget', 'decayRate', 'alpha', 'power', 'mMul']) number(key, (v) => v >= 0, 'a number ≥ 0');
  number('decaySteps', (v) => v > 0, 'a number > 0');
  number('firstDecaySteps', (v) => v > 0, 'a number > 0');
  number('tMul', (v) => v > 0, 'a number > 0');
  number('warmupSteps', (v) => v >= 0, 'a number ≥ 0');
  if (given.kind === 'piecewiseConstantDecay') {
    const { boundaries, values } = s as { boundaries: unknown; values: unknown };
    const numbers = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'number' && Number.isFinite(x));
    if (!numbers(boundaries) || !numbers(values)) fail('boundaries and values must be lists of numbers');
    const [b, v] = [boundaries as number[], values as number[]];
    if (b.length === 0 || v.length !== b.length + 1) fail(`needs one value more than boundaries (got ${b.length} boundaries, ${v.length} values)`);
    if (b.some((x, i) => i > 0 && x <= b[i - 1])) fail(`boundaries must increase, got [${b}]`);
    if (v.some((x) => x < 0)) fail(`values must be ≥ 0, got [${v}]`);
  }
  return s as LearningRateSchedule;
}

/** The schedule's learning rate for step t (0-based). */
export function scheduleRate(schedule: LearningRateSchedule, t: number): number {
  switch (schedule.kind) {
    case 'exponentialDecay': {
      const p = t / schedule.decaySteps;
      return schedule.initialLearningRate * schedule.decayRate ** (schedule.staircase ? Math.floor(p) : p);
    }
    case 'inverseTimeDecay': {
      const p = t / schedule.decaySteps;
      return schedule.initialLearningRate / (1 + schedule.decayRate * (schedule.staircase ? Math.floor(p) : p));
    }
    case 'piecewiseConstantDecay': {
      const i = schedule.boundaries.findIndex((b) => t <= b);
      return schedule.values[i === -1 ? schedule.boundaries.length : i];
    }
    case 'polynomialDecay': {
      const { initialLearningRate, endLearningRate = 1e-4, power = 1, cycle = false } = schedule;
      const decaySteps = cycle ? schedule.decaySteps * (t === 0 ? 1 : Math.ceil(t / schedule.decaySteps)) : schedule.decaySteps;
      const p = Math.min(t, decaySteps) / decaySteps;
      return (initialLearningRate - endLearningRate) * (1 - p) ** power + endLearningRate;
    }
    case 'cosineDecay': {
      const { initialLearningRate, decaySteps, alpha = 0, warmupTarget, warmupSteps = 0 } = schedule;
      const cosine = (step: number, from: number) => from * ((1 - alpha) * 0.5 * (1 + Math.cos((Math.PI * step) / decaySteps)) + alpha);
      if (warmupTarget === undefined) return cosine(Math.min(t, decaySteps), initialLearningRate);
      const step = Math.min(t, decaySteps + warmupSteps);
      if (step < warmupSteps) return (warmupTarget - initialLearningRate) * (step / warmupSteps) + initialLearningRate;
      return cosine(step - warmupSteps, warmupTarget);
    }
    case 'cosineDecayRestarts': {
      const { initialLearningRate, firstDecaySteps, tMul = 2, mMul = 1, alpha = 0 } = schedule;
      let fraction = t / firstDecaySteps;
      let restart: number;
      if (tMul === 1) {
        restart = Math.floor(fraction);
        fraction -= restart;
      } else {
        // Periods firstDecaySteps·tMul^i: the restart whose span holds t, and how far into it t is.
        restart = Math.floor(Math.log(1 - fraction * (1 - tMul)) / Math.log(tMul));
        fraction = (fraction - (1 - tMul ** restart) / (1 - tMul)) / tMul ** restart;
      }
      const cosine = 0.5 * mMul ** restart * (1 + Math.cos(Math.PI * fraction));
      return initialLearningRate * ((1 - alpha) * cosine + alpha);
    }
  }
}
