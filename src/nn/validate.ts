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

/**
 * A point to resume training from: after `batch` batches of epoch `epoch` (0-based; batch 0:
 * the epoch's start). A checkpoint's CheckpointInfo is one (loadCheckpoint returns it).
 */
export interface ResumePoint {
  epoch: number;
  batch: number;
  /** Seconds already spent on those batches (they count in the epoch's elapsed time). */
  epochSeconds?: number;
  /** (4) f32: the metrics buffer's running sums after those batches (loss sum, correct, samples, 0); required when batch > 0. */
  metrics?: Float32Array;
  /** When known, the batch size and training samples of the run: fit refuses others, whose batches would differ. */
  batchSize?: number;
  samples?: number;
  /** When known, the training data's fingerprint (src/data/fingerprint.ts): fit refuses other data. */
  data?: string;
}

export interface FitOptions {
  batchSize: number;
  epochs: number;
  initialEpoch: number;
  validationSplit: number;
  shuffle: boolean;
  verbose: 0 | 1;
  /** undefined: adaptive (read-cadence.ts). */
  progressEvery: number | undefined;
  terminateOnNaN: boolean;
  resumeFrom?: ResumePoint;
}

const FIT_OPTIONS = [
  'batchSize', 'epochs', 'validationSplit', 'validationData', 'shuffle', 'verbose', 'callbacks',
  'progressEvery', 'initialEpoch', 'terminateOnNaN', 'resumeFrom', 'signal',
] as const;

/** fit's options with their defaults, every one checked. */
export function checkFitOptions(options: Record<string, unknown> | undefined): FitOptions {
  const where = 'fit';
  checkOptions(where, options, FIT_OPTIONS);
  const o = options ?? {};
  const epochs = o.epochs === undefined ? 1 : nonNegativeInteger(where, 'epochs', o.epochs);
  const resumeFrom = o.resumeFrom === undefined ? undefined : checkResumeFrom(where, o.resumeFrom, epochs);
  const initialEpoch = o.initialEpoch === undefined ? resumeFrom?.epoch ?? 0 : nonNegativeInteger(where, 'initialEpoch', o.initialEpoch);
  if (resumeFrom && initialEpoch !== resumeFrom.epoch) throw new Error(`${where}: initialEpoch ${initialEpoch} disagrees with resumeFrom.epoch ${resumeFrom.epoch}: give one of them`);
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
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw new Error(`${where}: signal must be an AbortSignal (new AbortController().signal), got ${show(o.signal)}`);
  return {
    batchSize: batchSize(where, o.batchSize),
    epochs,
    initialEpoch,
    validationSplit,
    shuffle: o.shuffle === undefined ? true : boolean(where, 'shuffle', o.shuffle),
    verbose: (o.verbose ?? 1) as 0 | 1,
    progressEvery: o.progressEvery === undefined ? undefined : positiveInteger(where, 'progressEvery', o.progressEvery),
    terminateOnNaN: o.terminateOnNaN === undefined ? true : boolean(where, 'terminateOnNaN', o.terminateOnNaN),
    resumeFrom,
  };
}

/** fit's resumeFrom: an epoch in 0..epochs (before epochs when within one), a batch, and the optional rest. */
function checkResumeFrom(where: Where, value: unknown, epochs: number): ResumePoint {
  if (value === null || typeof value !== 'object') throw new Error(`${where}: resumeFrom must be a checkpoint's { epoch, batch, ... } (loadCheckpoint returns it), got ${show(value)}`);
  const r = value as Record<string, unknown>;
  const epoch = nonNegativeInteger(where, 'resumeFrom.epoch', r.epoch);
  const batch = nonNegativeInteger(where, 'resumeFrom.batch', r.batch ?? 0);
  if (epoch > epochs || (batch > 0 && epoch === epochs)) throw new Error(`${where}: resumeFrom is at batch ${batch} of epoch index ${epoch}, past the ${epochs} epoch(s) of this fit`);
  if (r.epochSeconds !== undefined && !(typeof r.epochSeconds === 'number' && r.epochSeconds >= 0)) throw new Error(`${where}: resumeFrom.epochSeconds must be a non-negative number, got ${show(r.epochSeconds)}`);
  if (r.metrics !== undefined && !(r.metrics instanceof Float32Array)) throw new Error(`${where}: resumeFrom.metrics must be a Float32Array, got ${show(r.metrics)}`);
  for (const key of ['batchSize', 'samples'] as const) if (r[key] !== undefined) positiveInteger(where, `resumeFrom.${key}`, r[key]);
  if (r.data !== undefined && typeof r.data !== 'string') throw new Error(`${where}: resumeFrom.data must be a data fingerprint (a string), got ${show(r.data)}`);
  return { ...(r as unknown as ResumePoint), epoch, batch };
}

/**
 * The batch to resume at in resumeFrom's epoch (0 without one), after checking that the point
 * fits this run: a batch inside the epoch, the same batch size and samples where known, and
 * the metric sums when the epoch is under way.
 */
export function checkResumePoint(resume: ResumePoint | undefined, steps: number, batchSize: number, samples: number, data: string): number {
  if (!resume) return 0;
  if (resume.batchSize !== undefined && resume.batchSize !== batchSize) throw new Error(`fit: resumeFrom was saved with batchSize ${resume.batchSize}, this fit has batchSize ${batchSize}: resume with the run's batch size`);
  if (resume.samples !== undefined && resume.samples !== samples) throw new Error(`fit: resumeFrom was saved training on ${resume.samples} samples, this fit trains on ${samples}: resume with the run's data`);
  if (resume.data !== undefined && resume.data !== data) throw new Error(`fit: resumeFrom was saved training on other data of the same size (data fingerprint ${resume.data}, this fit's ${data}): resume with the run's data`);
  if (resume.batch >= steps) throw new Error(`fit: resumeFrom.batch is ${resume.batch}, but an epoch has ${steps} batches`);
  if (resume.batch > 0 && resume.metrics?.length !== 4) throw new Error('fit: resumeFrom within an epoch needs its metrics (the 4 running sums a checkpoint holds)');
  return resume.batch;
}

const CALLBACK_METHODS = ['setModel', 'onTrainBegin', 'onEpochBegin', 'onProgress', 'onBatchEnd', 'onEpochEnd'];

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
