/**
 * Which of fit's steps read their running loss and accuracy back from the GPU.
 *
 * The read-backs pace the CPU: it runs ahead of the GPU by at most two of them (runner.ts'
 * ring), and a stop (fit's signal) waits for the steps already submitted. A fixed cadence of 20
 * steps suits a GPU, where a step takes milliseconds, but on SwiftShader a step of mnist-bn takes
 * about 6 s: 40 steps ahead meant a Ctrl-C took 4 minutes and the progress line moved every 2.
 * So by default the cadence follows the measured time per step: a read-back about every
 * TARGET_MS of work, every step at the least and every MAX_EVERY steps at the most. It starts
 * at every step and is kept with the model's runner from one fit to the next (the demo fits
 * chunk by chunk), so a fast device pays a few read-backs of 16 bytes once before it widens.
 * Read-backs are not free on SwiftShader (Dawn in Node polls while it waits, on the cores that
 * run the kernels): aiming at one a second, mnist-conv3's fits (batch 64) read every ~2 steps
 * and ran 9% slower than at every 20 in an interleaved A/B here (4 rounds, noisy); aiming at
 * one every 3 s they read every ~12 and the A/B saw no cost (6 rounds: 236 against 221
 * samples/s), for a stop that waits about 6 s.
 */

/** The default cadence's upper bound (the fixed default before it). */
export const MAX_EVERY = 20;
/** About how much GPU work lies between two read-backs with the default cadence. */
const TARGET_MS = 3000;

export class ReadCadence {
  /** Steps between read-backs, now. */
  every: number;
  /** The last read-back seen done: optimizer steps it covered, and when (performance.now()). */
  private last: { steps: number; at: number } | undefined;

  /** `fixed`: the caller's progressEvery, kept as it is; undefined: adapt to the step time. */
  constructor(private readonly fixed: number | undefined) {
    this.every = fixed ?? 1;
  }

  /**
   * Whether step `step` (0-based in its epoch) reads back, `sinceRead` steps after the epoch's
   * last read-back (or its first step). A fixed cadence reads at the same steps of every epoch.
   */
  due(step: number, sinceRead: number): boolean {
    return this.fixed !== undefined ? (step + 1) % this.fixed === 0 : sinceRead >= this.every;
  }

  /**
   * A read-back that covered `steps` optimizer steps came back now. The time since the previous
   * one over the steps between them is the time per step while the GPU was kept busy (the CPU
   * runs ahead); `restart()` drops the previous one where work other than training steps came
   * between (validation, a checkpoint).
   */
  readDone(steps: number, at = performance.now()): void {
    if (this.fixed !== undefined) return;
    if (this.last && steps > this.last.steps) {
      const msPerStep = (at - this.last.at) / (steps - this.last.steps);
      this.every = Math.max(1, Math.min(MAX_EVERY, Math.floor(TARGET_MS / msPerStep)));
    }
    this.last = { steps, at };
  }

  restart(): void {
    this.last = undefined;
  }
}
