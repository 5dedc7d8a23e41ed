/**
 * Which kernel candidate each (kernel, shape) uses on this adapter, and where those choices are
 * remembered between runs. src/runtime/tuner.ts fills it by timing the candidates; this file
 * only keeps and stores the results.
 *
 * Storage: in Node a JSON file, `kernel-choices.json` under WEBGPU_DL_CACHE_DIR, else
 * `$XDG_CACHE_HOME/webgpu-dl`, else `~/.cache/webgpu-dl`; in a browser `localStorage`. One file
 * holds every adapter's choices, keyed by the adapter's vendor, architecture, device and
 * description (Dawn's description names the driver), so a new driver is timed afresh.
 */

/**
 * 'measure': time the candidates of every (kernel, shape) not yet in the cache and store the
 * winner; 'cached': use stored choices, time nothing (defaults where none is stored); 'off':
 * the documented defaults per adapter class, no cache.
 */
export type TuningMode = 'measure' | 'cached' | 'off';
export const TUNING_MODES: readonly TuningMode[] = ['measure', 'cached', 'off'];

/**
 * The tuner's decision rule, stored with each choice it makes: a choice of an older rule is
 * timed afresh in 'measure' mode (src/runtime/tuner.ts). 1 (or absent, as files before it
 * wrote): the median of 3 rounds; 2: the minimum of the rounds, more rounds while the leaders'
 * spreads overlap, the default kept while still level.
 */
export const TUNER_RULE = 2;

/** One stored choice: the winner and every candidate's milliseconds on the timed problem. */
export interface KernelChoice {
  kernel: string;
  /** Per candidate: the minimum over its rounds, or its warm-up for one dropped there. */
  ms: Record<string, number>;
  /** The problem that was timed when it is a smaller proxy of the shape (see tuner.ts). */
  timedShape?: string;
  /** The TUNER_RULE that made it; absent: 1. */
  rule?: number;
}

/** Where choices persist: a map from `adapter key` to (`kernel key` to choice). */
export interface ChoiceStore {
  /** Where it lives, for log lines (a path, or `localStorage`). */
  readonly where: string;
  load(): Record<string, Record<string, KernelChoice>>;
  /** Writes one adapter's choices (merged with what others wrote since load). */
  save(adapterKey: string, choices: Record<string, KernelChoice>): void;
}

/** What a store holds: adapter key → kernel key → choice. */
type Stored = Record<string, Record<string, KernelChoice>>;

const FILE_NAME = 'kernel-choices.json';
const STORAGE_KEY = 'webgpu-dl kernel choices';

export class KernelChoices {
  private readonly choices: Record<string, KernelChoice>;
  /** Candidates timed through this device so far: 0 on a run served by the cache. */
  timed = 0;
  /** Choices served from the cache so far. */
  cacheHits = 0;

  constructor(
    readonly mode: TuningMode,
    readonly adapterKey: string,
    private readonly store: ChoiceStore | undefined,
  ) {
    const stored = store?.load()[adapterKey];
    this.choices = isRecord(stored) ? { ...(stored as Record<string, KernelChoice>) } : {};
  }

  get where(): string | undefined {
    return this.store?.where;
  }

  /** The stored choice, if there is one of the right form (a damaged entry reads as none: re-timed). */
  get(key: string): KernelChoice | undefined {
    if (this.mode === 'off') return undefined;
    const choice = this.choices[key] as Partial<KernelChoice> | null | undefined;
    return typeof choice?.kernel === 'string' ? (choice as KernelChoice) : undefined;
  }

  set(key: string, choice: KernelChoice): void {
    this.choices[key] = choice;
    this.store?.save(this.adapterKey, { [key]: choice });
  }
}

/** A JSON object (not null, not an array): what every level of the stored choices must be. */
function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The key of an adapter's choices: every field of its description. */
export function adapterKey(info: { vendor: string; architecture: string; device: string; description: string }): string {
  return [info.vendor, info.architecture, info.device, info.description].join(' | ');
}

/** The store this environment has: localStorage in a browser, a JSON file in Node. */
export async function defaultChoiceStore(): Promise<ChoiceStore | undefined> {
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  if (storage) return localStorageStore(storage);
  if (typeof process === 'undefined' || !process.versions?.node) return undefined;
  return fileChoiceStore(await cacheDirectory());
}

/** WEBGPU_DL_CACHE_DIR, else $XDG_CACHE_HOME/webgpu-dl, else ~/.cache/webgpu-dl. */
export async function cacheDirectory(): Promise<string> {
  if (process.env.WEBGPU_DL_CACHE_DIR) return process.env.WEBGPU_DL_CACHE_DIR;
  const { homedir } = await import('node:os');
  const { join } = await import('node:path');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'webgpu-dl');
}

/** A JSON file `kernel-choices.json` in `dir` (created when first written). */
export async function fileChoiceStore(dir: string): Promise<ChoiceStore> {
  const fs = await import('node:fs');
  const { join } = await import('node:path');
  const path = join(dir, FILE_NAME);
  const read = (): Record<string, Record<string, KernelChoice>> => {
    if (!fs.existsSync(path)) return {};
    try {
      const all: unknown = JSON.parse(fs.readFileSync(path, 'utf8'));
      return isRecord(all) ? (all as Stored) : {};
    } catch {
      // A damaged cache only costs a re-measurement; it is overwritten at the next save.
      return {};
    }
  };
  return {
    where: path,
    load: read,
    save(adapter, choices) {
      const all = read();
      all[adapter] = { ...(all[adapter] ?? {}), ...choices };
      fs.mkdirSync(dir, { recursive: true });
      // Write then rename, so that a process reading at the same time never sees half a file.
      const temporary = `${path}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, `${JSON.stringify(all, null, 1)}\n`);
      fs.renameSync(temporary, path);
    },
  };
}

/** A store in memory: choices last as long as the process (the bench: each run tunes afresh; tests). */
export function memoryChoiceStore(): ChoiceStore {
  const all: Record<string, Record<string, KernelChoice>> = {};
  return {
    where: 'memory',
    load: () => structuredClone(all),
    save(adapter, choices) {
      all[adapter] = { ...(all[adapter] ?? {}), ...choices };
    },
  };
}

function localStorageStore(storage: Storage): ChoiceStore {
  const read = (): Record<string, Record<string, KernelChoice>> => {
    try {
      const all: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? '{}');
      return isRecord(all) ? (all as Stored) : {};
    } catch {
      return {};
    }
  };
  return {
    where: 'localStorage',
    load: read,
    save(adapter, choices) {
      const all = read();
      all[adapter] = { ...(all[adapter] ?? {}), ...choices };
      storage.setItem(STORAGE_KEY, JSON.stringify(all));
    },
  };
}
