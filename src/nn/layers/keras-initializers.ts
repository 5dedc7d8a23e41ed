/**
 * Keras initializers in a layer's config, both ways: a name (`"he_normal"`) or
 * `{class_name, config}` read as the engine's Initializer, and an Initializer written as Keras 3,
 * tf.keras 2 or TF.js writes it. A VarianceScaling whose settings are a named initializer's
 * (Glorot, He, LeCun) is read as that name, so it is written back under the name.
 */
import { checkInitializer, NAMED_VARIANCE_SCALING, type Initializer, type InitializerName, type InitializerWithArgs, type VarianceScaling } from '../initializers.js';
import { checkModule, isObject, type ConfigReader, type KerasConfig, type KerasFlavor } from './keras-config.js';

/** Keras class name of each named initializer (TF.js spells LeCun with a capital C). */
const NAMED_CLASSES: Record<InitializerName, string> = {
  glorotUniform: 'GlorotUniform',
  glorotNormal: 'GlorotNormal',
  heNormal: 'HeNormal',
  heUniform: 'HeUniform',
  lecunNormal: 'LecunNormal',
  lecunUniform: 'LecunUniform',
  zeros: 'Zeros',
  ones: 'Ones',
};

const CLASSES_WITH_ARGS: Record<InitializerWithArgs['kind'], string> = {
  varianceScaling: 'VarianceScaling',
  randomNormal: 'RandomNormal',
  randomUniform: 'RandomUniform',
  truncatedNormal: 'TruncatedNormal',
  constant: 'Constant',
  orthogonal: 'Orthogonal',
  identity: 'Identity',
};

/** Keras' defaults of the initializers with arguments (keras/src/initializers). */
const DEFAULT_ARGS: Record<InitializerWithArgs['kind'], KerasConfig> = {
  varianceScaling: { scale: 1, mode: 'fan_in', distribution: 'truncated_normal' },
  randomNormal: { mean: 0, stddev: 0.05 },
  randomUniform: { minval: -0.05, maxval: 0.05 },
  truncatedNormal: { mean: 0, stddev: 0.05 },
  constant: { value: 0 },
  orthogonal: { gain: 1 },
  identity: { gain: 1 },
};

const MODES: Record<string, VarianceScaling['mode']> = { fan_in: 'fanIn', fan_out: 'fanOut', fan_avg: 'fanAvg' };
/** Keras 2.0–2.2 and TF.js write 'normal' for the truncated normal. */
const DISTRIBUTIONS: Record<string, VarianceScaling['distribution']> = {
  truncated_normal: 'truncatedNormal',
  normal: 'truncatedNormal',
  untruncated_normal: 'untruncatedNormal',
  uniform: 'uniform',
};

/** Class names (Keras', and TF.js' LeCun spelling) and Keras' string identifiers → initializer kind. */
const KINDS = new Map<string, InitializerName | InitializerWithArgs['kind']>([
  ...(Object.entries(NAMED_CLASSES) as [InitializerName, string][]).map(([kind, className]) => [className, kind] as const),
  ...(Object.entries(CLASSES_WITH_ARGS) as [InitializerWithArgs['kind'], string][]).map(([kind, className]) => [className, kind] as const),
  ['LeCunNormal', 'lecunNormal'],
  ['LeCunUniform', 'lecunUniform'],
  ['glorot_uniform', 'glorotUniform'],
  ['glorot_normal', 'glorotNormal'],
  ['he_normal', 'heNormal'],
  ['he_uniform', 'heUniform'],
  ['lecun_normal', 'lecunNormal'],
  ['lecun_uniform', 'lecunUniform'],
  ['zeros', 'zeros'],
  ['ones', 'ones'],
  ['variance_scaling', 'varianceScaling'],
  ['random_normal', 'randomNormal'],
  ['random_uniform', 'randomUniform'],
  ['truncated_normal', 'truncatedNormal'],
  ['constant', 'constant'],
  ['orthogonal', 'orthogonal'],
  ['OrthogonalInitializer', 'orthogonal'],
  ['identity', 'identity'],
  ['IdentityInitializer', 'identity'],
]);

/** Reads the initializer argument `key` of a layer's config; `fallback` where it is absent or null. */
export function takeInitializer(c: ConfigReader, key: string, fallback: Initializer): Initializer {
  const value = c.take(key);
  return value == null ? fallback : readInitializer(c.where, key, value);
}

/** Reads the value of the initializer argument `key` (`where` names the layer). */
function readInitializer(where: string, key: string, value: unknown): Initializer {
  const fail = (why: string): never => {
    throw new Error(`${where}: unsupported argument ${key}: ${JSON.stringify(value)} (${why})`);
  };
  const supported = `supported: ${[...new Set([...Object.values(NAMED_CLASSES), ...Object.values(CLASSES_WITH_ARGS)])].join(', ')}`;
  if (typeof value === 'string') {
    const kind = KINDS.get(value) ?? fail(supported);
    return kind in DEFAULT_ARGS ? withArgs(kind as InitializerWithArgs['kind'], {}, fail) : (kind as InitializerName);
  }
  if (!isObject(value) || typeof value.class_name !== 'string') return fail('expected a name or {class_name, config}');
  checkModule(`${where}: ${key}`, value.module, value.registered_name, value.class_name);
  const kind = KINDS.get(value.class_name) ?? fail(supported);
  const { seed, ...settings } = isObject(value.config) ? value.config : {};
  void seed; // initial values come from the model's seed
  if (!(kind in DEFAULT_ARGS)) {
    // Arguments a newer Keras adds (3.10+: input_axes, output_axes) are accepted while off.
    const active = Object.keys(settings).filter((k) => settings[k] !== null && settings[k] !== false);
    if (active.length > 0) fail(`arguments ${active.join(', ')}`);
    return kind as InitializerName;
  }
  return withArgs(kind as InitializerWithArgs['kind'], settings, fail);
}

function withArgs(kind: InitializerWithArgs['kind'], settings: KerasConfig, fail: (why: string) => never): Initializer {
  const given = { ...DEFAULT_ARGS[kind], ...Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== null)) };
  const unknown = Object.keys(given).filter((k) => !(k in DEFAULT_ARGS[kind]));
  if (unknown.length > 0) fail(`arguments ${unknown.join(', ')}`);
  if (kind !== 'varianceScaling') return checkInitializer(kind, { kind, ...given }, fail);
  const mode = MODES[String(given.mode)] ?? fail(`mode must be fan_in, fan_out or fan_avg`);
  const distribution = DISTRIBUTIONS[String(given.distribution)] ?? fail(`distribution must be truncated_normal, untruncated_normal or uniform`);
  const scaling: VarianceScaling = { kind, scale: given.scale as number, mode, distribution };
  checkInitializer(kind, scaling, fail);
  const named = (Object.entries(NAMED_VARIANCE_SCALING) as [InitializerName, Omit<VarianceScaling, 'kind'>][]).find(
    ([, s]) => s.scale === scaling.scale && s.mode === scaling.mode && s.distribution === scaling.distribution,
  );
  return named ? named[0] : scaling;
}

/** An initializer as Keras writes it: Keras 3 adds module and registered_name. */
export function initializerConfig(init: Initializer, flavor: KerasFlavor): KerasConfig {
  const [className, config] = typeof init === 'string' ? namedConfig(init, flavor) : [CLASSES_WITH_ARGS[init.kind], argsConfig(init, flavor)];
  if (flavor === 'keras3') return { module: 'keras.initializers', class_name: className, config, registered_name: null };
  return { class_name: className, config };
}

function namedConfig(name: InitializerName, flavor: KerasFlavor): [string, KerasConfig] {
  const className = flavor === 'tfjs' && name.startsWith('lecun') ? NAMED_CLASSES[name].replace('Lecun', 'LeCun') : NAMED_CLASSES[name];
  return [className, name === 'zeros' || name === 'ones' ? {} : { seed: null }];
}

function argsConfig(init: InitializerWithArgs, flavor: KerasFlavor): KerasConfig {
  switch (init.kind) {
    case 'varianceScaling': {
      const mode = Object.keys(MODES).find((k) => MODES[k] === init.mode);
      // TF.js' VarianceScaling draws its truncated normal only for 'normal' (and has no untruncated one).
      if (flavor === 'tfjs' && init.distribution === 'untruncatedNormal') {
        throw new Error("TF.js has no VarianceScaling with distribution 'untruncated_normal': save this model as .keras or .safetensors");
      }
      const distribution = init.distribution === 'truncatedNormal' ? (flavor === 'tfjs' ? 'normal' : 'truncated_normal') : init.distribution === 'uniform' ? 'uniform' : 'untruncated_normal';
      return { scale: init.scale, mode, distribution, seed: null };
    }
    case 'randomNormal':
    case 'truncatedNormal':
      return { mean: init.mean, stddev: init.stddev, seed: null };
    case 'randomUniform':
      return { minval: init.minval, maxval: init.maxval, seed: null };
    case 'constant':
      return { value: init.value };
    case 'orthogonal':
      return { gain: init.gain, seed: null };
    case 'identity':
      // Keras 3 writes an Identity's config empty (it leaves the gain out); tf.keras 2 and TF.js write the gain.
      return flavor === 'keras3' && init.gain === 1 ? {} : { gain: init.gain };
  }
}
