/**
 * Waiting for the GPU without spinning the CPU it runs on.
 *
 * dawn.node (npm `webgpu`) settles its promises (mapAsync, onSubmittedWorkDone) by calling
 * Dawn's ProcessEvents from a setImmediate loop that runs for as long as any of them is pending:
 * while one is, Node's main thread is never idle. On SwiftShader the GPU is the same two CPU
 * cores, so that loop takes CPU from the training step itself (bench/node-vs-chromium.ts
 * measures it). A browser waits on a message from its GPU process instead and spins nothing.
 *
 * The pacer learns how long each kind of submitted work (a compiled step) takes on the queue,
 * and a wait for a read-back sleeps on a timer until shortly before the work ahead of it is
 * expected to be done; only then does it call mapAsync, which spins only for the rest. The
 * queue is FIFO, so each read-back that had to wait tells when the GPU finished the work
 * submitted before it; the estimates follow from those times. Sleeping too long costs nothing
 * while the CPU has further steps queued (as fit does); a read-back that was already done when
 * asked lowers the estimates of the work before it.
 */

/** Which waits are paced: true in Node (dawn.node spins), false in browsers. */
export const WAITS_SPIN = !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;

/** Of the expected time to wait, the share left to a spinning wait, plus a fixed margin (ms). */
const LEAD_SHARE = 0.05;
const LEAD_MS = 2;
/**
 * A read-back that resolved sooner than this (ms) after being asked, or than half the lead it
 * was asked with, was already done: how long before is unknown (its time would measure the
 * pacer's own sleep, not the GPU).
 */
const ALREADY_DONE_MS = 1;
/** How much an estimate moves towards a new measurement, and down after an overshoot. */
const LEARNING_RATE = 0.5;
const OVERSHOOT_FACTOR = 0.8;

/** One unit of submitted work, in queue order. */
interface Submitted {
  work: object;
  /** performance.now() at submit. */
  at: number;
}

/** A place in the queue: the work submitted up to and including one submit. */
export interface QueueTicket {
  /** 1-based count of submits up to this one. */
  readonly index: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class QueuePacer {
  /** Estimated queue milliseconds per unit of each kind of work. */
  private readonly estimates = new Map<object, number>();
  /** Submits after the last calibration point, oldest first; log[0] has index `calibrated.index + 1`. */
  private log: Submitted[] = [];
  private submits = 0;
  /** The last submit the GPU is known to have finished, and when (performance.now()). */
  private calibrated = { index: 0, at: -Infinity };

  constructor(readonly enabled: boolean = WAITS_SPIN) {}

  /** Notes one submit of `work` (any key that stays the same for the same work: a compiled step). */
  submitted(work: object): QueueTicket {
    this.submits++;
    if (this.enabled) this.log.push({ work, at: performance.now() });
    return { index: this.submits };
  }

  /**
   * Runs `start` (a mapAsync of a buffer the ticket's submit copied into) once the work up to
   * the ticket is nearly done by the estimates, and learns from how long it then took.
   */
  async wait<T>(ticket: QueueTicket, start: () => Promise<T>): Promise<T> {
    if (!this.enabled) return start();
    // The lead is set by the whole expected wait, as first estimated.
    let lead: number | undefined;
    for (;;) {
      const expected = this.expectedDoneAt(ticket);
      if (expected === undefined) break;
      const now = performance.now();
      lead ??= LEAD_MS + LEAD_SHARE * Math.max(0, expected - now);
      if (expected - lead <= now) break;
      // Sleep, then look again: the estimates may have learnt from an earlier read-back meanwhile.
      await sleep(expected - lead - now);
    }
    const asked = performance.now();
    const result = await start();
    const resolved = performance.now();
    this.learn(ticket, resolved, resolved - asked < Math.max(ALREADY_DONE_MS, (lead ?? 0) / 2));
    return result;
  }

  /** When the work up to `ticket` should be done, or undefined when some of it has no estimate. */
  private expectedDoneAt(ticket: QueueTicket): number | undefined {
    if (ticket.index <= this.calibrated.index) return -Infinity;
    let done = this.calibrated.at;
    for (let k = 0; k < ticket.index - this.calibrated.index; k++) {
      const ms = this.estimates.get(this.log[k].work);
      if (ms === undefined) return undefined;
      done = Math.max(done, this.log[k].at) + ms;
    }
    return done;
  }

  private learn(ticket: QueueTicket, resolved: number, alreadyDone: boolean): void {
    const count = ticket.index - this.calibrated.index;
    if (count <= 0) return; // a later read-back already told more
    const window = this.log.slice(0, count);
    this.log = this.log.slice(count);
    const previous = this.calibrated;
    this.calibrated = { index: ticket.index, at: resolved };
    if (alreadyDone) {
      // Done before it was asked: the GPU was quicker than estimated (by an unknown amount).
      for (const work of new Set(window.map((s) => s.work))) {
        const ms = this.estimates.get(work);
        if (ms !== undefined) this.estimates.set(work, ms * OVERSHOOT_FACTOR);
      }
      return;
    }
    // The GPU finished the window's work at `resolved`. Each unit started no earlier than it
    // was submitted, so for every suffix of the window, `resolved` minus the later of the
    // previous point and the suffix's first submit bounds the suffix's work from above; the
    // tightest bound is taken. (An idle gap, such as a compile between two submits, only
    // loosens the bounds of the suffixes that span it.)
    let knownMs = 0;
    let unknown = 0;
    let bestUnknownMs = Infinity;
    let bestRatio = Infinity;
    for (let k = window.length - 1; k >= 0; k--) {
      const ms = this.estimates.get(window[k].work);
      if (ms === undefined) unknown++;
      else knownMs += ms;
      const span = resolved - Math.max(previous.at, window[k].at);
      if (unknown > 0) bestUnknownMs = Math.min(bestUnknownMs, Math.max(span - knownMs, 0) / unknown);
      else if (knownMs > 0) bestRatio = Math.min(bestRatio, span / knownMs);
    }
    if (unknown > 0) {
      // New kinds of work take what the known ones leave, shared equally.
      for (const s of window) if (!this.estimates.has(s.work)) this.estimates.set(s.work, bestUnknownMs);
      return;
    }
    if (!Number.isFinite(bestRatio)) return;
    for (const work of new Set(window.map((s) => s.work))) {
      const ms = this.estimates.get(work)!;
      this.estimates.set(work, ms * (1 - LEARNING_RATE + LEARNING_RATE * bestRatio));
    }
  }
}
