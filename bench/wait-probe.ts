/**
 * What Node's main thread does while it waits for the GPU: the 512³ matmul four times in one
 * submit, then `await queue.onSubmittedWorkDone()`, with the event loop's utilization and the
 * main thread's own CPU time (/proc, Linux) against the whole process's. On SwiftShader the
 * GPU work runs on the same CPU, so CPU the main thread spends polling is taken from it.
 *
 *   node scripts/run.mjs bench/wait-probe.ts
 */
import { performance } from 'node:perf_hooks';
import { createDevice } from '../src/device/device.js';
import { matmul } from '../src/kernels/matmul.js';
import { recordDispatches } from '../src/runtime/dispatch.js';
import { ScratchOwner } from '../src/runtime/scratch.js';
const device = await createDevice();
const n = 512;
const buf = () => device.createBuffer('x', n * n * 4);
const call = await matmul(device, { m: n, n, k: n }, { a: buf(), b: buf(), c: buf() }, new ScratchOwner(device).scratch);
import { readFileSync } from 'node:fs';
// Main thread's CPU ms from /proc (Linux): utime + stime, in clock ticks of 10 ms.
const mainCpuMs = () => { const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
for (let i = 0; i < 3; i++) {
  const enc = device.gpu.createCommandEncoder();
  for (let r = 0; r < 4; r++) recordDispatches(enc, call);
  const elu0 = performance.eventLoopUtilization();
  const main0 = mainCpuMs();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  device.gpu.queue.submit([enc.finish()]);
  await device.gpu.queue.onSubmittedWorkDone();
  const wall = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  const main = mainCpuMs() - main0;
  console.log(`wait ${wall.toFixed(0)} ms: event loop ${(elu.utilization * 100).toFixed(0)}% busy; main thread CPU ${((main / wall) * 100).toFixed(0)}%; process CPU ${(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(0)}% of a core`);
}
process.exit(0);
