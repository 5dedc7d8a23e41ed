/** Keras-style progress: a bar with ETA and samples/s on a terminal, plain lines otherwise. */
import type { Progress } from '../nn/fit.js';

const BAR = 30;

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}:${String(s % 60).padStart(2, '0')}` : `${s}s`;
}

export class ProgressReporter {
  private lastPlainTenth = -1;

  constructor(private readonly out: NodeJS.WriteStream) {}

  get interactive(): boolean {
    return this.out.isTTY === true;
  }

  epochBegin(epoch: number, epochs: number): void {
    this.lastPlainTenth = -1;
    this.out.write(`Epoch ${epoch + 1}/${epochs}\n`);
  }

  update(p: Progress): void {
    const rate = p.samplesDone / Math.max(p.elapsedMs / 1000, 1e-9);
    const eta = (p.samplesTotal - p.samplesDone) / Math.max(rate, 1e-9);
    const figures = `${Math.round(rate)} samples/s - loss: ${p.loss.toFixed(4)} - accuracy: ${p.accuracy.toFixed(4)}`;
    const count = `${String(p.samplesDone).padStart(String(p.samplesTotal).length)}/${p.samplesTotal}`;
    if (this.interactive) {
      const filled = Math.floor((BAR * p.samplesDone) / p.samplesTotal);
      const bar = filled >= BAR ? '='.repeat(BAR) : `${'='.repeat(filled)}>${'.'.repeat(BAR - filled - 1)}`;
      this.out.write(`\r\x1b[K${count} [${bar}] - ETA: ${clock(eta)} - ${figures}`);
      return;
    }
    // Without a terminal: a line at every tenth of the epoch.
    const tenth = Math.floor((10 * p.samplesDone) / p.samplesTotal);
    if (tenth > this.lastPlainTenth && p.samplesDone < p.samplesTotal) {
      this.lastPlainTenth = tenth;
      this.out.write(`${count} - ETA: ${clock(eta)} - ${figures}\n`);
    }
  }

  epochEnd(line: string): void {
    this.out.write(this.interactive ? `\r\x1b[K${line}\n` : `${line}\n`);
  }
}
