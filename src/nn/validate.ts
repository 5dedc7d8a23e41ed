/**
 * Checks of the arguments of the public API, done once where a call enters (compile, fit,
 * evaluate, predict, trainOnBatch) and before any GPU work, so that a misuse throws an error
 * naming the call, the argument and the value, and changes nothing. Data arrays are checked
 * in inputs.ts, layer arguments in each layer's constructor.
 */
import { Device } from '../device/device.js';

/** `fit: batchSize` style prefix of every message. */
type Where = string;

/** Throws on an options object that is not one, or that names an option the call does not have. */
export function checkOptions(where: Where, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new Error(`${where}: options must be an object such as { ${known[0]}: ... }, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const hint = camel !== key && known.includes(camel) ? ` (did you mean ${camel}?)` : ` (known: ${known.join(', ')})`;
    throw new Error(`${where}: unknown option '${key}'${hint}`);
  }
}

export function positiveInteger(where: Where, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new Error(`${where}: ${name} must be a positive integer, got ${show(value)}`);
  return value;
}

function nonNegativeInteger(where: Where, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new Error(`${where}: ${name} must be a non-negative integer, got ${show(value)}`);
  return value;
}

function boolean(where: Where, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new Error(`${where}: ${name} must be true or false, got ${show(value)}`);
  return value;
}

/** The device argument: only a Device from createDevice() carries the engine's limits, caches and error handling. */
export function checkDevice(where: Where, value: unknown): Device {
  if (value instanceof Device) return value;
  const raw = value !== null && typeof value === 'object' && 'queue' in value && 'createBuffer' in value;
  const got = raw ? 'a raw GPUDevice' : show(value);
  throw new Error(`${where}: device must come from createDevice() (const device = await createDevice()), got ${got}`);
}

/** A batch-size option (default 32). */
function batchSize(where: Where, value: unknown): number {
  return value === undefined ? 32 : positiveInteger(where, 'batchSize', value);
}

export interface FitOptions {
  batchSize: number;
  epochs: number;
  initialEpoch: number;
  validationSplit: number;
  shuffle: boolean;
  verbose: 0 | 1;
  progressEvery: number;
  terminateOnNaN: boolean;
}

const FIT_OPTIONS = [
  'batchSize', 'epochs', 'validationSplit', 'validationData', 'shuffle', 'verbose', 'callbacks',
  'progressEvery', 'initialEpoch', 'terminateOnNaN',
] as const;

/** fit's options with their defaults, every one checked. */
export function checkFitOptions(options: Record<string, unknown> | undefined): FitOptions {
  const where = 'fit';
  checkOptions(where, options, FIT_OPTIONS);
  const o = options ?? {};
  const epochs = o.epochs === undefined ? 1 : nonNegativeInteger(where, 'epochs', o.epochs);
  const initialEpoch = o.initialEpoch === undefined ? 0 : nonNegativeInteger(where, 'initialEpoch', o.initialEpoch);
  if (initialEpoch > epochs) throw new Error(`${where}: initialEpoch must be an integer in 0..epochs (${epochs}), got ${initialEpoch}`);
  let validationSplit = 0;
  if (o.validationSplit !== undefined && o.validationSplit !== 0) {
    const split = o.validationSplit;
    if (typeof split !== 'number' || !(split > 0 && split < 1)) throw new Error(`${where}: validationSplit must be a fraction between 0 and 1, got ${show(split)}`);
    if (o.validationData !== undefined) throw new Error(`${where}: give validationSplit or validationData, not both`);
    validationSplit = split;
  }
  if (o.validationData !== undefined && (!Array.isArray(o.validationData) || o.validationData.length !== 2)) {
    throw new Error(`${where}: validationData must be [x, y], got ${show(o.validationData)}`);
  }
  if (o.verbose !== undefined && o.verbose !== 0 && o.verbose !== 1) throw new Error(`${where}: verbose must be 0 or 1, got ${show(o.verbose)}`);
  checkCallbacks(where, o.callbacks);
  return {
    batchSize: batchSize(where, o.batchSize),
    epochs,
    initialEpoch,
    validationSplit,
    shuffle: o.shuffle === undefined ? true : boolean(where, 'shuffle', o.shuffle),
    verbose: (o.verbose ?? 1) as 0 | 1,
    progressEvery: o.progressEvery === undefined ? 20 : positiveInteger(where, 'progressEvery', o.progressEvery),
    terminateOnNaN: o.terminateOnNaN === undefined ? true : boolean(where, 'terminateOnNaN', o.terminateOnNaN),
  };
}

const CALLBACK_METHODS = ['setModel', 'onTrainBegin', 'onEpochBegin', 'onProgress', 'onEpochEnd'];

/** One callback object or a list of them; a method a callback names must be a function, and one fit does not know (`on...`) is an error. */
function checkCallbacks(where: Where, callbacks: unknown): void {
  if (callbacks === undefined) return;
  const list = Array.isArray(callbacks) ? callbacks : [callbacks];
  list.forEach((callback, i) => {
    const name = Array.isArray(callbacks) ? `callbacks[${i}]` : 'callbacks';
    if (callback === null || typeof callback !== 'object') throw new Error(`${where}: ${name} must be an object such as { onEpochEnd(epoch, logs) {...} }, got ${show(callback)}`);
    for (const [key, f] of Object.entries(callback as object)) {
      if (CALLBACK_METHODS.includes(key)) {
        if (f !== undefined && typeof f !== 'function') throw new Error(`${where}: ${name}.${key} must be a function, got ${show(f)}`);
      } else if (/^on[A-Z_]/.test(key)) {
        throw new Error(`${where}: ${name}: unknown callback '${key}' (known: ${CALLBACK_METHODS.join(', ')})`);
      }
    }
  });
}

/** The options of evaluate and predict: only batchSize. */
export function checkBatchOptions(where: Where, options: unknown): number {
  checkOptions(where, options, ['batchSize']);
  return batchSize(where, (options as { batchSize?: unknown } | undefined)?.batchSize);
}

const COMPILE_OPTIONS = ['device', 'optimizer', 'loss', 'metrics', 'seed'];

/** compile's arguments other than the optimizer (a model read from a file may bring its own) and the loss, checked where they are resolved. */
export function checkCompileArgs(args: unknown): { device: Device; seed: number } {
  const where = 'compile';
  if (args === undefined || args === null || typeof args !== 'object') {
    throw new Error(`${where} needs { device, optimizer } (device from createDevice()), got ${show(args)}`);
  }
  checkOptions(where, args, COMPILE_OPTIONS);
  const a = args as Record<string, unknown>;
  const device = checkDevice(where, a.device);
  if (a.metrics !== undefined && (!Array.isArray(a.metrics) || a.metrics.some((m) => m !== 'accuracy'))) {
    throw new Error(`${where}: unsupported metrics ${show(a.metrics)}: only ['accuracy']`);
  }
  // Seeds are u32 on the GPU.
  const seed = a.seed === undefined ? 1 : nonNegativeInteger(where, 'seed', a.seed);
  if (seed > 0xffffffff) throw new Error(`${where}: seed must be below 2^32, got ${seed}`);
  return { device, seed };
}

/** A value as a message shows it: numbers and strings as written, objects by their class. */
export function show(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return value.length <= 4 ? `[${value.map(show).join(', ')}]` : `an array of ${value.length}`;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : JSON.stringify(value)?.slice(0, 60) ?? 'an object';
}
