// The queue pacer (src/runtime/queue-pacer.ts) against a simulated FIFO queue: each unit of
// work takes a known time after the one before it; a read-back buffer maps at once when the work
// up to it is done, and otherwise stays pending until unmapped. Then its probe on the real device.
import { beforeAll, describe, expect, it } from 'vitest';
import { mapIfDone, QueuePacer, type Mappable } from '../../src/runtime/queue-pacer.js';
import type { Device } from '../../src/device/device.js';
import { matmul } from '../../src/kernels/matmul.js';
import { recordDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { testDevice } from '../helpers/gpu.js';

/** A read-back buffer whose work is done at `doneAt`; it counts the map requests pending at once. */
class FakeBuffer implements Mappable {
  probes = 0;
  private pending?: (reason: Error) => void;
  constructor(readonly doneAt: number) {}

  mapAsync(): Promise<unknown> {
    expect(this.pending, 'a second map requested while one is pending').toBeUndefined();
    this.probes++;
    if (performance.now() >= this.doneAt) return Promise.resolve(undefined);
    return new Promise((_, reject) => (this.pending = reject));
  }

  unmap(): void {
    this.pending?.(new Error('AbortError'));
    this.pending = undefined;
  }
}

class FakeQueue {
  private doneAt = 0;
  constructor(readonly pacer: QueuePacer) {}

  /** Submits one unit of `work` taking `ms`; returns when it will be done and its ticket. */
  submit(work: object, ms: number) {
    this.doneAt = Math.max(performance.now(), this.doneAt) + ms;
    return { doneAt: this.doneAt, ticket: this.pacer.submitted(work) };
  }

  /** A paced read-back of the unit done at `doneAt`: when it was mapped, and how many probes that took. */
  async readBack(submitted: ReturnType<FakeQueue['submit']>) {
    const buffer = new FakeBuffer(submitted.doneAt);
    await this.pacer.map(submitted.ticket, buffer);
    return { mapped: performance.now(), doneAt: submitted.doneAt, probes: buffer.probes };
  }
}

beforeAll(async () => {
  await testDevice(); // Dawn's globals (GPUMapMode)
});

describe('QueuePacer', () => {
  it('finds work it has no estimate of done soon after it is, then probes about every 2% of the expected wait', async () => {
    const step = {};
    const queue = new FakeQueue(new QueuePacer(true));
    let last;
    for (let i = 0; i < 5; i++) last = queue.submit(step, 30);
    const first = await queue.readBack(last!);
    // Probes start at 1 ms apart and grow with the time waited: at most 2% of 150 ms late, plus
    // however late the timers fire on a loaded machine.
    expect(first.mapped - first.doneAt).toBeLessThan(40);
    // Now it expects 30 ms a step: five more take about fifty probes, not one per millisecond.
    for (let i = 0; i < 5; i++) last = queue.submit(step, 30);
    const second = await queue.readBack(last!);
    expect(second.mapped).toBeGreaterThanOrEqual(second.doneAt);
    expect(second.mapped - second.doneAt).toBeLessThan(40);
    expect(second.probes).toBeLessThanOrEqual(55);
  });

  it('does not sleep past work that became faster than it learnt', async () => {
    const step = {};
    const queue = new FakeQueue(new QueuePacer(true));
    let last;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) last = queue.submit(step, 40);
      await queue.readBack(last!);
    }
    // The same work now takes 10 ms a step (another job stopped taking the CPU): four steps are
    // done in 40 ms where 160 were expected. Sleeping until the estimate would find them done
    // about 110 ms late; probing every 2% of the expected wait (3.2 ms) finds them done within
    // a few, plus however late the timers fire on a loaded machine.
    for (let i = 0; i < 4; i++) last = queue.submit(step, 10);
    const faster = await queue.readBack(last!);
    expect(faster.mapped - faster.doneAt).toBeLessThan(50);
  });

  it('does not count an idle gap between submits (a compile) as work', async () => {
    const [full, remainder] = [{}, {}];
    const queue = new FakeQueue(new QueuePacer(true));
    // A full batch, then 300 ms of compiling the remainder's step while the queue is idle, then
    // the remainder with the read-back: each step takes 20 ms (plus a probe's lateness), not
    // half of the 340 ms.
    queue.submit(full, 20);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await queue.readBack(queue.submit(remainder, 20));
    queue.submit(full, 20);
    await queue.readBack(queue.submit(remainder, 20));
    expect(queue.pacer.estimate(full)).toBeLessThan(60);
    expect(queue.pacer.estimate(remainder)).toBeLessThan(60);
  });

  it('gives up when its check throws (the model was disposed while it slept)', async () => {
    const queue = new FakeQueue(new QueuePacer(true));
    // Work of 2 s, disposed after 20 ms: the next probe throws, long before the work is done,
    // however late the timers fire on a loaded machine (CI once saw them 200 ms late).
    const submitted = queue.submit({}, 2000);
    let disposed = false;
    setTimeout(() => (disposed = true), 20);
    const buffer = new FakeBuffer(submitted.doneAt);
    await expect(queue.pacer.map(submitted.ticket, buffer, () => {
      if (disposed) throw new Error('disposed');
    })).rejects.toThrow('disposed');
    expect(performance.now()).toBeLessThan(submitted.doneAt);
  });

  it('disabled, maps at once and leaves the wait to mapAsync', async () => {
    const queue = new FakeQueue(new QueuePacer(false));
    const submitted = queue.submit({}, 30);
    const buffer = new FakeBuffer(submitted.doneAt);
    const mapping = queue.pacer.map(submitted.ticket, buffer);
    expect(buffer.probes).toBe(1);
    buffer.unmap(); // the fake's pending map never resolves by itself
    await expect(mapping).rejects.toThrow('AbortError');
  });
});

describe('mapIfDone on the device', () => {
  let device: Device;
  beforeAll(async () => {
    device = await testDevice();
  });

  it('aborts a map whose work is not done, leaves no error, and maps it once it is', async () => {
    const n = 256;
    const values = Float32Array.from({ length: n * n }, (_, i) => (i % 7) - 3);
    const a = device.upload('a', values);
    const c = device.createBuffer('c', n * n * 4);
    const call = await matmul(device, { m: n, n, k: n }, { a, b: a, c }, new ScratchOwner(device).scratch);
    const readback = device.createReadback('c readback', 16);
    const encoder = device.gpu.createCommandEncoder();
    // Tens of milliseconds of work or more on SwiftShader: the first probe finds it running.
    for (let r = 0; r < 20; r++) recordDispatches(encoder, call);
    encoder.copyBufferToBuffer(c, 0, readback, 0, 16);
    device.gpu.queue.submit([encoder.finish()]);
    const tries: boolean[] = [];
    for (;;) {
      tries.push(await mapIfDone(readback));
      if (tries.at(-1)) break;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    // On a GPU the work may be done before the first probe; on SwiftShader it takes tens of ms.
    if (device.adapter.software) expect(tries[0]).toBe(false);
    const got = new Float32Array(readback.getMappedRange(0, 16));
    // c[0][j] = Σ_k a[0][k]·a[k][j], in float64.
    for (let j = 0; j < 4; j++) {
      let sum = 0;
      for (let k = 0; k < n; k++) sum += values[k] * values[k * n + j];
      expect(got[j]).toBe(sum);
    }
    readback.unmap();
    expect(() => device.throwIfFailed()).not.toThrow();
    for (const b of [a, c, readback]) b.destroy();
  });
});
