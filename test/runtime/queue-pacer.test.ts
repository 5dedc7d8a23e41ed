// The queue pacer (src/runtime/queue-pacer.ts) against a simulated FIFO queue: each unit of
// work takes a known time after the one before it; a read-back resolves when the work up to
// it is done, or at once when it already is.
import { describe, expect, it } from 'vitest';
import { QueuePacer } from '../../src/runtime/queue-pacer.js';

class FakeQueue {
  private doneAt = 0;
  readonly finished: number[] = [];
  constructor(readonly pacer: QueuePacer) {}

  /** Submits one unit of `work` taking `ms`; returns when it will be done and its ticket. */
  submit(work: object, ms: number) {
    this.doneAt = Math.max(performance.now(), this.doneAt) + ms;
    return { doneAt: this.doneAt, ticket: this.pacer.submitted(work) };
  }

  /** A paced read-back of the unit done at `doneAt`: when it was asked for, and when it resolved. */
  async readBack(submitted: ReturnType<FakeQueue['submit']>) {
    let asked = 0;
    await this.pacer.wait(submitted.ticket, () => {
      asked = performance.now();
      return new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, submitted.doneAt - asked)));
    });
    return { asked, resolved: performance.now(), doneAt: submitted.doneAt };
  }
}

describe('QueuePacer', () => {
  it('asks at once for work it has no estimate of, then sleeps until shortly before later work is done', async () => {
    const step = {};
    const queue = new FakeQueue(new QueuePacer(true));
    // Five 30 ms steps, read back after the last: nothing is known, so it asks at once.
    let last;
    for (let i = 0; i < 5; i++) last = queue.submit(step, 30);
    const submittedAt = performance.now();
    const first = await queue.readBack(last!);
    expect(first.asked - submittedAt).toBeLessThan(20);
    expect(first.resolved).toBeGreaterThanOrEqual(first.doneAt - 1);
    // Now it knows a step takes about 30 ms: five more are asked for no earlier than
    // 2 ms + 5% of the wait before they are done (timers may fire late, never early).
    for (let i = 0; i < 5; i++) last = queue.submit(step, 30);
    const second = await queue.readBack(last!);
    const expectedWait = second.doneAt - first.resolved;
    expect(second.asked).toBeGreaterThanOrEqual(second.doneAt - 2 - 0.05 * expectedWait - 0.1 * expectedWait);
    expect(second.resolved).toBeGreaterThanOrEqual(second.doneAt - 1);
  });

  it('lowers its estimates when a read-back was already done when asked', async () => {
    const step = {};
    const queue = new FakeQueue(new QueuePacer(true));
    let last;
    for (let i = 0; i < 4; i++) last = queue.submit(step, 40);
    await queue.readBack(last!);
    // The same work now takes 10 ms a step: the read-back comes late once, and the estimate
    // falls, so that the wait after the next few rounds starts before the work is done again.
    const lateness: number[] = [];
    for (let round = 0; round < 12; round++) {
      for (let i = 0; i < 4; i++) last = queue.submit(step, 10);
      const r = await queue.readBack(last!);
      lateness.push(r.asked - r.doneAt);
    }
    expect(lateness[0]).toBeGreaterThan(50);
    expect(Math.min(...lateness.slice(-4))).toBeLessThan(5);
  });

  it('does not count an idle gap between submits (a compile) as work', async () => {
    const [full, remainder] = [{}, {}];
    const queue = new FakeQueue(new QueuePacer(true));
    // A full batch, then 300 ms of compiling the remainder's step while the queue is idle, then
    // the remainder with the read-back: each step takes 20 ms, not half of the 340 ms.
    queue.submit(full, 20);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await queue.readBack(queue.submit(remainder, 20));
    queue.submit(full, 20);
    const second = await queue.readBack(queue.submit(remainder, 20));
    expect(second.asked - second.doneAt).toBeLessThan(30);
  });

  it('disabled, asks at once', async () => {
    const queue = new FakeQueue(new QueuePacer(false));
    let last;
    for (let i = 0; i < 3; i++) last = queue.submit({}, 30);
    await queue.readBack(last!);
    for (let i = 0; i < 3; i++) last = queue.submit({}, 30);
    const start = performance.now();
    const r = await queue.readBack(last!);
    expect(r.asked - start).toBeLessThan(20);
  });
});
