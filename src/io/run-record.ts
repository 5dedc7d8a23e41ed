/**
 * The record of one training run (`webgpu-dl train --record FILE.json`, written by
 * src/cli/record.ts; bench/curve.ts draws it): what ran, where, how long, and every epoch's
 * figures. It is rewritten after every epoch, so a run that stops early leaves a record that
 * says it is partial; a resumed run (--resume) continues the same record as a new session.
 *
 *   FILE.json  the RunRecord below (JSON, 2-space indented)
 *   FILE.md    the same, short, for a person: status, command, commit, adapter, wall time,
 *              a table of the epochs and the test figures
 *
 * Node only (node:fs is imported inside the functions, as in files.ts).
 */
import type { OptimizerConfig } from '../nn/optimizers.js';
import { writeFileAtomic } from './files.js';

export const RUN_RECORD_FORMAT = 'webgpu-dl run record 1';

/** Where the validation figures come from. */
export type ValidationSource = 'split' | 'test' | 'none';

/** What the run trains and with which settings; a resumed run must match these. */
export interface RunSettings {
  model: string;
  /** The optimizer as resolved (kind and the options given; Keras' defaults fill the rest). */
  optimizer: OptimizerConfig;
  /** 'cosine': the rate fell from optimizer.learningRate to 0 over the run's steps (absent: constant). */
  lrSchedule?: 'cosine';
  epochs: number;
  batchSize: number;
  seed: number;
  /** 'split': the last `validationSplit` of the training images; 'test': MNIST's test images. */
  validation: ValidationSource;
  validationSplit?: number;
  /** --limit and --test-limit (absent: all 60,000 training and 10,000 test images). */
  limit?: number;
  testLimit?: number;
  /** Weights the run started from (--load), if any. */
  load?: string;
}

/** One invocation of the command; a resumed run adds one. */
export interface RunSession {
  command: string;
  /** `git rev-parse HEAD` of the engine's checkout, with ' (modified)' when it had uncommitted changes, or 'unknown'. */
  commit: string;
  adapter: string;
  /** Epochs completed before this session began (the checkpoint's epoch when resuming). */
  startEpoch: number;
  /** Batches of the next epoch completed before this session began (a checkpoint within an epoch); absent: none. */
  startBatch?: number;
  startedAt: string;
  /** The last time this session updated the record. */
  updatedAt: string;
  /** From the session's start to its last update. */
  wallSeconds: number;
}

export interface EpochFigures {
  /** 1-based, as Keras prints "Epoch 3/12". */
  epoch: number;
  loss: number;
  accuracy: number;
  val_loss?: number;
  val_accuracy?: number;
  /** Training plus validation time of the epoch (resumed within it: its batches' time in every session). */
  seconds: number;
}

export interface RunRecord {
  format: typeof RUN_RECORD_FORMAT;
  /** 'complete' only when every epoch and the test figures are in. */
  status: 'partial' | 'complete';
  /** The status in words, e.g. "partial: 3 of 12 epochs completed, no test figures yet". */
  statusNote: string;
  settings: RunSettings;
  images: { train: number; validation: number; test: number };
  sessions: RunSession[];
  epochs: EpochFigures[];
  test?: { loss: number; accuracy: number };
  /**
   * Sum of the sessions' wall time, each up to its last update: the end of an epoch or, with
   * --checkpoint-every, a checkpoint within one (work after it, lost to an interruption, is not counted).
   */
  wallSeconds: number;
}

/** Sets status, statusNote and wallSeconds from the rest of the record. */
export function updateStatus(record: RunRecord): void {
  const total = record.settings.epochs;
  const recordedFrom = record.sessions[0]?.startEpoch ?? 0; // epochs completed before the record began
  const last = record.epochs.at(-1)?.epoch ?? recordedFrom;
  const missing = recordedFrom > 0 ? `; ${recordedFrom === 1 ? 'epoch 1' : `epochs 1–${recordedFrom}`} ran before this record began` : '';
  record.wallSeconds = record.sessions.reduce((sum, s) => sum + s.wallSeconds, 0);
  if (last === total && record.test && !missing) {
    record.status = 'complete';
    record.statusNote = `complete: ${total} of ${total} epochs and the test figures`;
    return;
  }
  record.status = 'partial';
  record.statusNote = `partial: ${last} of ${total} epochs completed${record.test ? '' : ', no test figures yet'}${missing}`;
}

/** Parses and checks a record file's text. */
export function parseRunRecord(text: string, what: string): RunRecord {
  let record: RunRecord;
  try {
    record = JSON.parse(text) as RunRecord;
  } catch {
    throw new Error(`${what}: not JSON`);
  }
  if (record?.format !== RUN_RECORD_FORMAT) throw new Error(`${what}: not a ${RUN_RECORD_FORMAT} file`);
  if (!record.settings || !Array.isArray(record.sessions) || !Array.isArray(record.epochs)) throw new Error(`${what}: settings, sessions or epochs missing`);
  record.epochs.forEach((e, i) => {
    if (!Number.isInteger(e.epoch) || !Number.isFinite(e.loss) || !Number.isFinite(e.accuracy)) throw new Error(`${what}: epochs[${i}] is not an epoch's figures`);
  });
  return record;
}

export async function readRunRecord(path: string): Promise<RunRecord> {
  const { readFile } = await import('node:fs/promises');
  return parseRunRecord(await readFile(path, 'utf8'), path);
}

/** The Markdown file beside a record: FILE.json → FILE.md. */
export function markdownPath(path: string): string {
  return path.replace(/\.json$/, '') + '.md';
}

/**
 * Writes FILE.json and FILE.md, each through a temporary file renamed over the old one, so
 * that a run killed while writing leaves the previous record whole.
 */
export async function writeRunRecord(path: string, record: RunRecord): Promise<void> {
  const text = new TextEncoder();
  await writeFileAtomic(path, text.encode(`${JSON.stringify(record, null, 2)}\n`));
  await writeFileAtomic(markdownPath(path), text.encode(runRecordMarkdown(record)));
}

/** "1 h 32 min", "12 min 5 s", "48 s". */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  // Whole minutes, rounded before the hours are split off: 7,170 s is "2 h 0 min", not "1 h 60 min".
  const minutes = Math.round(s / 60);
  if (s >= 3600) return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${s} s`;
}

function validationText(record: RunRecord): string {
  const { settings, images } = record;
  if (settings.validation === 'test') return `validated on the ${images.validation} test images`;
  if (settings.validation === 'split') return `validated on the last ${images.validation} training images (${settings.validationSplit} held out)`;
  return 'no validation';
}

const figure = (value: number | undefined) => (value === undefined ? '' : value.toFixed(4));

/** The record for a person: a title with the status, the settings, the epochs, the sessions. */
export function runRecordMarkdown(record: RunRecord): string {
  const { settings, images } = record;
  const optimizer = Object.entries(settings.optimizer)
    .filter(([key]) => key !== 'kind')
    .map(([key, value]) => `${key} ${value}`)
    .join(', ');
  const lines = [
    `# ${settings.model}, ${settings.epochs} epochs: ${record.status.toUpperCase()}`,
    '',
    `${record.statusNote[0].toUpperCase()}${record.statusNote.slice(1)}.`,
    '',
    `- settings: ${settings.optimizer.kind}${optimizer ? ` (${optimizer})` : ''}${settings.lrSchedule ? `, ${settings.lrSchedule} decay` : ''}, batch ${settings.batchSize}, seed ${settings.seed}` +
      `${settings.load ? `, from the weights ${settings.load}` : ''}`,
    `- data: trained on ${images.train} images, ${validationText(record)}, tested on ${images.test} test images`,
    `- wall time: ${duration(record.wallSeconds)} over ${record.sessions.length} session(s)`,
    ...(record.test ? [`- **test: loss ${figure(record.test.loss)} accuracy ${figure(record.test.accuracy)}**`] : []),
    '',
    '| epoch | loss | accuracy | val_loss | val_accuracy | seconds |',
    '|---:|---:|---:|---:|---:|---:|',
    ...record.epochs.map((e) => `| ${e.epoch} | ${figure(e.loss)} | ${figure(e.accuracy)} | ${figure(e.val_loss)} | ${figure(e.val_accuracy)} | ${Math.round(e.seconds)} |`),
    '',
    '| session | command | commit | adapter | from epoch | started | wall time |',
    '|---:|:---|:---|:---|---:|:---|---:|',
    ...record.sessions.map(
      (s, i) =>
        `| ${i + 1} | \`${s.command}\` | ${s.commit} | ${s.adapter} | ${s.startEpoch}${s.startBatch ? ` + ${s.startBatch} batches` : ''} | ${s.startedAt} | ${duration(s.wallSeconds)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}
