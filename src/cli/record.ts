/**
 * `webgpu-dl train --record FILE.json`: keeps a run's record (src/io/run-record.ts) up to date.
 * open() checks the file before any work (a new record, or with --resume the record of the
 * run being resumed); begin() checks the settings against that record and starts this
 * session's entry; as a fit callback it writes each epoch's figures as the epoch ends, and the
 * session's wall time whenever a checkpoint within an epoch is written (--checkpoint-every);
 * finish() adds the test figures.
 *
 * A resumed run repeats the epochs after its checkpoint, so begin() drops any epoch the record
 * holds past the checkpoint (one written just before an interruption cut the checkpoint off).
 * Resumed within an epoch, that epoch's seconds count the time its first batches took in the
 * sessions before (the checkpoint holds it).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BatchEnd, Callback, Logs } from '../nn/fit.js';
import { checkpointDue, type SaveFreq } from '../io/model-checkpoint.js';
import { withDefaults } from '../nn/optimizers.js';
import { UsageError } from './usage.js';
import { parseRunRecord, RUN_RECORD_FORMAT, updateStatus, writeRunRecord, type RunRecord, type RunSession, type RunSettings } from '../io/run-record.js';

/** The settings a resumed run must share with the record it continues (epochs may grow; --load cannot be given). */
const MATCHED: (keyof RunSettings)[] = ['model', 'optimizer', 'lrSchedule', 'batchSize', 'seed', 'validation', 'validationSplit', 'limit', 'testLimit'];

/**
 * A setting as JSON, for comparing a record's with this run's. The optimizer's with its
 * defaults filled in and its keys sorted: a record written before a hyper-parameter existed
 * (Adam's amsgrad) holds the same run as one that writes its default.
 */
function settingText(key: keyof RunSettings, value: RunSettings[keyof RunSettings]): string | undefined {
  if (key !== 'optimizer' || value === undefined) return JSON.stringify(value);
  const resolved: Record<string, unknown> = withDefaults(value as RunSettings['optimizer']);
  return JSON.stringify(Object.fromEntries(Object.keys(resolved).sort().map((name) => [name, resolved[name]])));
}

export class RunRecorder implements Callback {
  private record?: RunRecord;
  private session?: RunSession;
  private sessionStarted = 0;
  private epochStarted = 0;
  /** Where this session starts: epochs completed, batches of the next, and the seconds those batches took. */
  private start: ResumeAt = { epoch: 0, batch: 0, epochSeconds: 0 };
  private lastWrite = 0;

  private constructor(
    readonly path: string,
    private readonly command: string,
    /** The record being continued (--resume), as read from the file. */
    private readonly previous: RunRecord | undefined,
    /** --checkpoint-every: the record's wall time is brought up to date as often as the checkpoint. */
    private readonly checkpointEvery: SaveFreq | undefined,
  ) {}

  /** Checks the record file before any work (a UsageError names the file and the problem). */
  static open(path: string, argv: string[], resuming: boolean, checkpointEvery?: SaveFreq): RunRecorder {
    if (!path.endsWith('.json')) throw new UsageError(`--record: ${path}: name the record FILE.json (FILE.md is written beside it)`);
    const folder = dirname(path);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UsageError(`--record: ${path}: no folder ${folder}`);
    const command = `webgpu-dl train ${argv.map(shellWord).join(' ')}`.trim();
    if (!existsSync(path)) return new RunRecorder(path, command, undefined, checkpointEvery);
    if (!resuming) throw new UsageError(`--record: ${path} exists: resume that run with --resume CHECKPOINT, or record to a new file`);
    return new RunRecorder(path, command, parseRunRecord(readFileSync(path, 'utf8'), path), checkpointEvery);
  }

  /**
   * Starts this session's entry after `start.epoch` completed epochs (and `start.batch`
   * batches of the next), and writes the record. A record being continued must hold the same
   * settings (the epochs may grow) and reach the checkpoint's epoch; it is left as it was otherwise.
   */
  async begin(settings: RunSettings, adapter: string, start: ResumeAt, images: RunRecord['images']): Promise<void> {
    const previous = this.previous;
    const startEpoch = start.epoch;
    this.start = start;
    if (previous) {
      for (const key of MATCHED) {
        const [was, now] = [settingText(key, previous.settings[key]), settingText(key, settings[key])];
        if (was !== now) throw new UsageError(`--record: ${this.path} records a run with ${key} ${was ?? 'unset'}, this one has ${now ?? 'unset'}: resume with the run's options`);
      }
      const last = previous.epochs.at(-1)?.epoch ?? previous.sessions[0]?.startEpoch ?? 0;
      if (last < startEpoch) {
        throw new UsageError(`--record: ${this.path} records ${last} epoch(s) but the checkpoint is after epoch ${startEpoch}: the record would miss epochs; record to a new file`);
      }
    }
    const now = new Date();
    this.sessionStarted = now.getTime();
    this.session = {
      command: this.command,
      commit: engineCommit(),
      adapter,
      startEpoch,
      ...(start.batch > 0 && { startBatch: start.batch }),
      startedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      wallSeconds: 0,
    };
    if (previous) {
      this.record = {
        ...previous,
        settings: { ...settings, load: previous.settings.load },
        sessions: [...previous.sessions, this.session],
        epochs: previous.epochs.filter((e) => e.epoch <= startEpoch),
        test: undefined,
      };
    } else {
      this.record = { format: RUN_RECORD_FORMAT, status: 'partial', statusNote: '', settings, images, sessions: [this.session], epochs: [], wallSeconds: 0 };
    }
    await this.write();
  }

  onEpochBegin(epoch: number): void {
    // The epoch resumed within: its first batches took epochSeconds in the sessions before.
    const carried = epoch === this.start.epoch && this.start.batch > 0 ? this.start.epochSeconds * 1000 : 0;
    this.epochStarted = performance.now() - carried;
  }

  /**
   * With --checkpoint-every, as often as the checkpoint within an epoch, and when training stops
   * on a signal (the checkpoint is written then too): the session's wall time so far.
   */
  async onBatchEnd(_epoch: number, batch: number, where: BatchEnd): Promise<void> {
    if (checkpointDue(this.checkpointEvery ?? 'epoch', batch, where, performance.now() - this.lastWrite)) await this.write();
  }

  /** `epoch` is 0-based, as fit's callbacks give it. */
  async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    const record = this.started();
    const seconds = (performance.now() - this.epochStarted) / 1000;
    record.epochs.push({ epoch: epoch + 1, loss: logs.loss, accuracy: logs.accuracy, val_loss: logs.val_loss, val_accuracy: logs.val_accuracy, seconds });
    await this.write();
  }

  async finish(test: { loss: number; accuracy: number }): Promise<void> {
    this.started().test = test;
    await this.write();
    console.log(`run recorded in ${this.path}`);
  }

  private started(): RunRecord {
    if (!this.record) throw new Error('RunRecorder: begin() was not called');
    return this.record;
  }

  private async write(): Promise<void> {
    const record = this.started();
    const session = this.session!;
    session.updatedAt = new Date().toISOString();
    session.wallSeconds = (Date.now() - this.sessionStarted) / 1000;
    this.lastWrite = performance.now();
    updateStatus(record);
    await writeRunRecord(this.path, record);
  }
}

/** Where a session starts: `epoch` epochs completed and `batch` batches of the next, which took `epochSeconds`. */
export interface ResumeAt {
  epoch: number;
  batch: number;
  epochSeconds: number;
}

/** An argument as a POSIX shell would need it written. */
function shellWord(word: string): string {
  return /^[\w./=:,@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The commit of the engine's own checkout (the folder this module runs from), with
 * ' (modified)' when tracked files have uncommitted changes; 'unknown' outside a webgpu-dl
 * checkout (an installed package) or without git.
 */
export function engineCommit(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const git = (...args: string[]) => execFileSync('git', ['-C', here, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    const top = git('rev-parse', '--show-toplevel');
    if ((JSON.parse(readFileSync(join(top, 'package.json'), 'utf8')) as { name?: string }).name !== 'webgpu-dl') return 'unknown';
    const commit = git('rev-parse', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${commit} (modified)` : commit;
  } catch {
    return 'unknown';
  }
}
