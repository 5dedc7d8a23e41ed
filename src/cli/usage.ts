/** Checks of command-line arguments; a UsageError ends the command with exit code 2 and a hint to --help. */
import { existsSync, statSync } from 'node:fs';
import { ADAPTER_CHOICES, type AdapterChoice } from '../device/adapter.js';
import { TUNING_MODES, type TuningMode } from '../device/kernel-choices.js';
import { weightsFormat } from '../io/files.js';
import type { SaveFreq } from '../io/model-checkpoint.js';
import { presets, presetNames } from '../nn/presets.js';

export class UsageError extends Error {}

export function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got '${value}'`);
  return n;
}

/** train's --checkpoint-every: STEPS (batches) or Nmin (minutes, e.g. 10min or 0.5min). */
export function checkpointEvery(value: string | undefined): SaveFreq | undefined {
  if (value === undefined) return undefined;
  const minutes = /^(\d+(?:\.\d+)?)min$/.exec(value);
  if (minutes && Number(minutes[1]) > 0) return { minutes: Number(minutes[1]) };
  const steps = Number(value);
  if (Number.isSafeInteger(steps) && steps > 0) return steps;
  throw new UsageError(`--checkpoint-every must be a number of batches (e.g. 100) or of minutes (e.g. 10min), got '${value}'`);
}

/** predict's and evaluate's --load FILE (required, present, of a known format) and --model NAME (a preset, if given). */
export function checkLoad(command: string, load: string | undefined, preset: string | undefined): string {
  if (!load) throw new UsageError(`${command} needs --load FILE (the trained model or weights)`);
  try {
    weightsFormat(load);
  } catch (err) {
    throw new UsageError(`--load: ${(err as Error).message}`);
  }
  if (!existsSync(load)) throw new UsageError(`--load: no file ${load}`);
  if (preset !== undefined && !presets[preset]) throw new UsageError(`unknown model '${preset}' (choose from ${presetNames.join(', ')})`);
  return load;
}

/** --data DIR: a folder (its four IDX files are checked when they are read); undefined: MNIST. */
export function dataDir(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!existsSync(value)) throw new UsageError(`--data: no folder ${value}`);
  if (!statSync(value).isDirectory()) throw new UsageError(`--data: ${value} is a file; give the folder that holds the four IDX files`);
  return value;
}

/** The adapter WEBGPU_DL_ADAPTER asks for: auto (default), hardware or software. */
export function adapterChoice(): AdapterChoice {
  const adapter = (process.env.WEBGPU_DL_ADAPTER ?? 'auto') as AdapterChoice;
  if (!ADAPTER_CHOICES.includes(adapter)) throw new UsageError(`WEBGPU_DL_ADAPTER must be one of ${ADAPTER_CHOICES.join(', ')}, got '${adapter}'`);
  return adapter;
}

/** train's --tuning MODE: measure, cached or off. */
export function tuningMode(value: string): TuningMode {
  if (!(TUNING_MODES as readonly string[]).includes(value)) throw new UsageError(`--tuning must be one of ${TUNING_MODES.join(', ')}, got '${value}'`);
  return value as TuningMode;
}

export const LR_SCHEDULES = ['constant', 'cosine'] as const;
export type LearningRateSchedule = (typeof LR_SCHEDULES)[number];

export function lrSchedule(value: string): LearningRateSchedule {
  if (!(LR_SCHEDULES as readonly string[]).includes(value)) throw new UsageError(`--lr-schedule must be one of ${LR_SCHEDULES.join(', ')}, got '${value}'`);
  return value as LearningRateSchedule;
}
