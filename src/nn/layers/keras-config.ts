/**
 * The Keras form of a layer's arguments, both ways: ConfigReader reads a layer's `config`
 * strictly (for the layers' fromConfig), and regularizerConfig / nulls write the pieces
 * several layers share (for the layers' config()). The model around the layers (InputLayer,
 * names, dtypes, shapes) is io/keras-json's business.
 *
 * Reading is strict: an argument the engine does not implement is an error that names the
 * layer and the argument. Arguments the engine has no use for and whose value is null or
 * false (off) are accepted, so that the newer fields of later Keras versions (`optional`,
 * `synchronized`, `lora_rank`, ...) do not break reading. The only values read and then
 * ignored are initializer and dropout seeds: the engine draws from the seed given to compile().
 */
import { checkConstraint, type Constraint, type ConstraintSpec } from '../constraints.js';
import { checkRegularizer, type Regularizer } from '../regularizers.js';

/** A layer's `config` object as Keras' `model.to_json()` writes it. */
export type KerasConfig = Record<string, unknown>;

/**
 * Which Keras a config is written for: Keras 3 (the default), tf.keras 2.x, or TF.js (the
 * Keras 2 layout as TF.js writes it in a model.json's modelTopology).
 */
export type KerasFlavor = 'keras3' | 'keras2' | 'tfjs';

/**
 * A layer's config, read key by key. finish() refuses every key that was not read and whose
 * value is not null or false: an argument the engine would otherwise silently drop.
 */
export class ConfigReader {
  private readonly read = new Set<string>();
  constructor(
    /** Names the layer in errors, e.g. `Conv2D layer 'conv2d'`. */
    readonly where: string,
    readonly config: KerasConfig,
  ) {}

  take(key: string): unknown {
    this.read.add(key);
    return this.config[key];
  }

  unsupported(key: string, value: unknown): never {
    throw new Error(`${this.where}: unsupported argument ${key}: ${JSON.stringify(value)}`);
  }

  finish(): void {
    for (const [key, value] of Object.entries(this.config)) {
      if (!this.read.has(key) && value !== null && value !== false) this.unsupported(key, value);
    }
  }

  /** Requires each of `keys` to be null or absent (regularizers, constraints, noise shapes). */
  requireNull(keys: string[]): void {
    for (const key of keys) {
      const value = this.take(key);
      if (value != null) this.unsupported(key, value);
    }
  }

  channelsLast(): void {
    const format = this.take('data_format');
    if (format != null && format !== 'channels_last') this.unsupported('data_format', format);
  }

  /** An int or a pair of ints (kernel_size, strides, pool_size, dilation_rate); `fallback` when absent. */
  pair(key: string, fallback?: number | [number, number]): [number, number] {
    const value = this.take(key);
    return pairOf(value == null && fallback !== undefined ? fallback : value, `${this.where}: ${key}`);
  }

  padding(): 'valid' | 'same' {
    const value = this.take('padding') ?? 'valid';
    if (value !== 'valid' && value !== 'same') this.unsupported('padding', value);
    return value;
  }

  bool(key: string, fallback: boolean): boolean {
    const value = this.take(key) ?? fallback;
    if (typeof value !== 'boolean') throw new Error(`${this.where}: ${key} must be true or false, got ${JSON.stringify(value)}`);
    return value;
  }

  number(key: string, fallback: number): number {
    const value = this.take(key) ?? fallback;
    if (typeof value !== 'number') throw new Error(`${this.where}: ${key} must be a number, got ${JSON.stringify(value)}`);
    return value;
  }

  /**
   * A Keras regularizer: null (none), {class_name: L1 | L2 | L1L2, config: {l1, l2}} (a factor
   * left out is the class's: L1's and L2's 0.01, L1L2's 0), or tf.keras' names l1, l2, l1_l2.
   */
  regularizer(key: string): Regularizer | undefined {
    const value = this.take(key);
    if (value == null) return undefined;
    const where = `${this.where}: ${key}`;
    if (typeof value === 'string') return checkRegularizer(where, value);
    if (!isObject(value) || typeof value.class_name !== 'string') throw new Error(`${where}: expected {class_name, config}, got ${JSON.stringify(value)}`);
    checkModule(where, value.module, value.registered_name, value.class_name);
    const defaults = REGULARIZER_DEFAULTS[value.class_name];
    if (!defaults) throw new Error(`${where}: unsupported regularizer ${value.class_name} (supported: ${Object.keys(REGULARIZER_DEFAULTS).join(', ')})`);
    return checkRegularizer(where, { ...defaults, ...(isObject(value.config) ? value.config : {}) });
  }

  /**
   * A Keras constraint: null (none), {class_name: MaxNorm | NonNeg | UnitNorm | MinMaxNorm,
   * config}, or its name (Keras' defaults: MaxNorm 2, MinMaxNorm 0..1 at rate 1, axis 0).
   */
  constraint(key: string): ConstraintSpec | undefined {
    const value = this.take(key);
    if (value == null) return undefined;
    const where = `${this.where}: ${key}`;
    if (typeof value === 'string') {
      const kind = CONSTRAINT_NAMES[value];
      if (!kind) throw new Error(`${where}: unsupported constraint '${value}' (supported: ${Object.keys(CONSTRAINT_CLASSES).join(', ')})`);
      return checkConstraint(where, kind === 'nonNeg' ? { kind } : { kind, axis: 0 });
    }
    if (!isObject(value) || typeof value.class_name !== 'string') throw new Error(`${where}: expected {class_name, config}, got ${JSON.stringify(value)}`);
    checkModule(where, value.module, value.registered_name, value.class_name);
    const kind = CONSTRAINT_CLASSES[value.class_name];
    if (!kind) throw new Error(`${where}: unsupported constraint ${value.class_name} (supported: ${Object.keys(CONSTRAINT_CLASSES).join(', ')})`);
    const config = isObject(value.config) ? value.config : {};
    const args = Object.fromEntries(Object.entries(config).map(([k, v]) => [CONSTRAINT_ARGS[k] ?? k, v]));
    // Keras' norm constraints default to axis 0.
    return checkConstraint(where, kind === 'nonNeg' ? { ...args, kind } : { axis: 0, ...args, kind });
  }
}

/** Keras' constraint classes, their string names (Keras 2's short ones too), and their arguments. */
const CONSTRAINT_CLASSES: Record<string, Constraint['kind']> = { MaxNorm: 'maxNorm', NonNeg: 'nonNeg', UnitNorm: 'unitNorm', MinMaxNorm: 'minMaxNorm' };
const CONSTRAINT_NAMES: Record<string, Constraint['kind']> = {
  max_norm: 'maxNorm',
  maxnorm: 'maxNorm',
  non_neg: 'nonNeg',
  nonneg: 'nonNeg',
  unit_norm: 'unitNorm',
  unitnorm: 'unitNorm',
  min_max_norm: 'minMaxNorm',
};
const CONSTRAINT_ARGS: Record<string, string> = { max_value: 'maxValue', min_value: 'minValue' };

/** A constraint as Keras writes it (null: none); Keras 3 adds module and registered_name. */
export function constraintConfig(c: Constraint | undefined, flavor: KerasFlavor): KerasConfig | null {
  if (!c) return null;
  const className = Object.keys(CONSTRAINT_CLASSES).find((name) => CONSTRAINT_CLASSES[name] === c.kind)!;
  const config =
    c.kind === 'nonNeg' ? {}
    : c.kind === 'maxNorm' ? { max_value: c.maxValue, axis: c.axis }
    : c.kind === 'unitNorm' ? { axis: c.axis }
    : { min_value: c.minValue, max_value: c.maxValue, rate: c.rate, axis: c.axis };
  if (flavor === 'keras3') return { module: 'keras.constraints', class_name: className, config, registered_name: null };
  return { class_name: className, config };
}

/** Keras' regularizer classes and their factors' defaults. */
const REGULARIZER_DEFAULTS: Record<string, Regularizer> = { L1: { l1: 0.01, l2: 0 }, L2: { l1: 0, l2: 0.01 }, L1L2: { l1: 0, l2: 0 } };

/**
 * A regularizer as Keras writes it (null: none): L1, L2 or L1L2 by the factors it has, Keras 3
 * adding module and registered_name; TF.js has only L1L2, and both factors (it defaults a
 * missing one to 0.01).
 */
export function regularizerConfig(r: Regularizer | undefined, flavor: KerasFlavor): KerasConfig | null {
  if (!r) return null;
  if (flavor === 'tfjs') return { class_name: 'L1L2', config: { l1: r.l1, l2: r.l2 } };
  const [className, config] = r.l1 === 0 && r.l2 > 0 ? ['L2', { l2: r.l2 }] : r.l2 === 0 && r.l1 > 0 ? ['L1', { l1: r.l1 }] : ['L1L2', { l1: r.l1, l2: r.l2 }];
  if (flavor === 'keras3') return { module: 'keras.regularizers', class_name: className, config, registered_name: null };
  return { class_name: className, config };
}

/** `{key: null}` for each key: the regularizers and constraints Keras writes as off. */
export function nulls(...keys: string[]): KerasConfig {
  return Object.fromEntries(keys.map((k) => [k, null]));
}

/** Refuses custom objects: a module other than Keras' own, or a registered name of its own. */
export function checkModule(where: string, module: unknown, registeredName: unknown, className: string): void {
  if (module !== undefined && module !== null && (typeof module !== 'string' || !(module === 'keras' || module.startsWith('keras.')))) {
    throw new Error(`${where}: module ${JSON.stringify(module)} is not Keras' own (custom objects are not supported)`);
  }
  if (registeredName !== undefined && registeredName !== null && registeredName !== className) {
    throw new Error(`${where}: registered_name ${JSON.stringify(registeredName)} is a custom object, which is not supported`);
  }
}

/** A Keras list, unwrapping Keras 2's {"class_name": "__tuple__", "items": [...]}. */
export function list(value: unknown, what: string): unknown[] {
  if (isObject(value) && Array.isArray(value.items)) return value.items;
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}

function pairOf(value: unknown, what: string): [number, number] {
  const items = typeof value === 'number' ? [value, value] : list(value, what);
  if (items.length !== 2 || !items.every((v) => typeof v === 'number' && Number.isInteger(v) && v > 0)) {
    throw new Error(`${what}: expected a positive integer or two, got ${JSON.stringify(value)}`);
  }
  return items as [number, number];
}

export function isObject(v: unknown): v is KerasConfig {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
