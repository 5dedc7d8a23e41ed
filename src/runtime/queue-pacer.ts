/**
 * Waiting for the GPU without spinning the CPU it runs on, and without sleeping past it.
 *
 * dawn.node (npm `webgpu`) settles its promises (mapAsync, onSubmittedWorkDone) by calling
 * Dawn's ProcessEvents from a setImmediate loop that runs for as long as any of them is pending:
 * while one is, Node's main thread is never idle. On SwiftShader the GPU is the same two CPU
 * cores, so that loop takes CPU from the training step itself (bench/node-vs-chromium.ts
 * measures it). A browser waits on a message from its GPU process instead and spins nothing.
 *
 * So a paced wait never leaves a map pending: it probes. A probe asks to map the read-back
 * buffer, lets dawn.node process events once, and if the map is not done by then, unmaps the
 * buffer, which aborts the request and stops the loop (`mapIfDone`, about 0.1 ms of CPU). Between
 * probes it sleeps on a timer, POLL_SHARE of the expected wait at a time: it learns how long
 * each kind of submitted work (a compiled step) takes on the queue, so that a wait is found
 * done at most about 2% late however long it is, at the cost of some fifty probes. (An earlier
 * pacer slept until the estimate said the work was nearly done: when the work got faster, as
 * when another job stopped taking the CPU, it slept past the end while the queue stood idle.)
 *
 * The queue is FIFO, so each read-back that had to wait tells when the GPU finished the work
 * submitted before it; the estimates follow from those times. A read-back found done at the
 * first probe was done before anyone asked; how long before is unknown, so it only lowers the
 * estimates of the work before it.
 */

/** Which waits are paced: true in Node (dawn.node spins), false in browsers. */
export const WAITS_SPIN = !(globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;

/** A probe every POLL_SHARE of the expected wait, and no more often than every MIN_POLL_MS. */
const POLL_SHARE = 0.02;
const MIN_POLL_MS = 1;
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

/** What a probe needs of a read-back buffer (a GPUBuffer; tests pass a fake). */
export interface Mappable {
  mapAsync(mode: GPUMapModeFlags): Promise<unknown>;
  unmap(): unknown;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Maps `buffer` for reading if the GPU is done with it, without leaving a request pending:
 * dawn.node calls ProcessEvents in the event-loop turn after mapAsync (before a setImmediate
 * queued after it), which settles a map whose work is done; one still pending then is
 * aborted by unmap() (its promise rejects with an AbortError). True when the buffer is mapped;
 * a map that fails by itself (a lost device, a destroyed buffer) throws its error.
 */
export async function mapIfDone(buffer: Mappable): Promise<boolean> {
  // An object, so that the checks after the await see what the callbacks set.
  const map: { state: 'pending' | 'mapped' | 'failed' | 'aborting'; failure?: unknown } = { state: 'pending' };
  const request = buffer.mapAsync(GPUMapMode.READ).then(
    () => void (map.state = 'mapped'),
    (error: unknown) => {
      if (map.state === 'aborting') return; // the abort below
      map.state = 'failed';
      map.failure = error;
    },
  );
  await nextTurn();
  if (map.state === 'mapped') return true;
  if (map.state === 'failed') throw map.failure;
  map.state = 'aborting';
  buffer.unmap();
  await request;
  return false;
}

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

  /** The estimated queue milliseconds of one unit of `work`, once learnt (tests, the bench). */
  estimate(work: object): number | undefined {
    return this.estimates.get(work);
  }

  /**
   * Maps `buffer` (which the ticket's submit copied into) for reading once the GPU is done with
   * it, and learns from how long that took. `check` runs before every try and may throw to give
   * up (the buffer's owner was disposed meanwhile). Disabled, it simply calls mapAsync.
   */
  async map(ticket: QueueTicket, buffer: Mappable, check: () => void = () => {}): Promise<void> {
    if (!this.enabled) {
      check();
      await buffer.mapAsync(GPUMapMode.READ);
      return;
    }
    for (let probes = 0; ; probes++) {
      check();
      if (await mapIfDone(buffer)) {
        this.learn(ticket, performance.now(), probes === 0);
        return;
      }
      await sleep(this.pollInterval(ticket));
    }
  }

  /**
   * POLL_SHARE of the time from when the GPU began the work ahead of the ticket (the later of
   * the last known finish and the first submit after it) to when that work should be done, by
   * the estimates, or to now where that is later or unknown.
   */
  private pollInterval(ticket: QueueTicket): number {
    const now = performance.now();
    const began = Math.max(this.calibrated.at, this.log[0]?.at ?? now);
    const expected = this.expectedDoneAt(ticket) ?? now;
    return Math.max(MIN_POLL_MS, POLL_SHARE * (Math.max(expected, now) - began));
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
    // The GPU finished the window's work at `resolved` (at most one poll interval earlier). Each
    // unit started no earlier than it was submitted, so for every suffix of the window,
    // `resolved` minus the later of the previous point and the suffix's first submit bounds the
    // suffix's work from above; the tightest bound is taken. (An idle gap, such as a compile
    // between two submits, only loosens the bounds of the suffixes that span it.)
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
