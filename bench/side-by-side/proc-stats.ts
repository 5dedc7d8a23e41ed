/**
 * What bench/node-vs-chromium.ts reads from /proc (Linux): CPU time of this process, of its
 * main thread and of the processes below it (Chromium's), every thread's time on and waiting
 * for a CPU, and Chromium's thread priorities.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

// CPU time from /proc (Linux), in ms: utime + stime, clock ticks of 10 ms.
const ticksMs = (stat: string) => {
  const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
const readStat = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process or thread has ended
  }
};
/** CPU ms of this process's main thread. */
export const mainThreadMs = () => ticksMs(readStat(`/proc/self/task/${process.pid}/stat`)!);
/** The processes below this one: Chromium's browser, GPU, renderer and helpers. */
function childPids(): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(`/proc/${name}/stat`);
    if (stat) parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[1]));
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...parent.keys()].filter(below);
}

/**
 * Chromium, running as root, raises its GPU process's main thread to nice -8 (and lowers the
 * renderer to 5); on SwiftShader that thread runs much of the GPU work, so on a shared machine
 * it takes CPU a nice-0 Node process cannot. `equal` sets every Chromium thread to nice 0, as
 * Node runs; returns the nice values found that were not 0 ("tid:nice").
 */
export function chromiumNice(equal: boolean): string[] {
  const found: string[] = [];
  for (const pid of childPids()) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // ended
    }
    for (const tid of tids) {
      const stat = readStat(`/proc/${pid}/task/${tid}/stat`);
      if (!stat) continue;
      const nice = Number(stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[16]);
      if (nice === 0) continue;
      found.push(`${tid}:${nice}`);
      if (equal) setPriority(Number(tid), 0);
    }
  }
  return found;
}

export interface ThreadCpu {
  name: string;
  nice: number;
  ms: number;
  /** Milliseconds it was runnable but waited for a CPU (/proc/.../schedstat). */
  waitMs: number;
}

/** Every thread of this process and those below it, by "pid/tid": its name, nice and CPU ms. */
export function threadCpu(): Map<string, ThreadCpu> {
  const threads = new Map<string, ThreadCpu>();
  for (const pid of [process.pid, ...childPids()]) {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // ended
    }
    const type = pid === process.pid ? 'node' : (/--type=([a-z-]+)/.exec(readStat(`/proc/${pid}/cmdline`) ?? '')?.[1] ?? 'browser');
    for (const tid of tids) {
      const stat = readStat(`/proc/${pid}/task/${tid}/stat`);
      if (!stat) continue;
      const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
      // schedstat: ns on a CPU, ns runnable but waiting for one.
      const [runNs, waitNs] = (readStat(`/proc/${pid}/task/${tid}/schedstat`) ?? '0 0').split(' ').map(Number);
      threads.set(`${pid}/${tid}`, { name: `${type} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`, nice: Number(f[16]), ms: runNs / 1e6, waitMs: waitNs / 1e6 });
    }
  }
  return threads;
}

/** The threads that ran most between two snapshots: "name (nice n): ran ms, waited for a CPU ms". */
export function busiest(before: Map<string, ThreadCpu>, after: Map<string, ThreadCpu>, count: number): string {
  return [...after.entries()]
    .map(([key, t]) => ({ ...t, ms: t.ms - (before.get(key)?.ms ?? 0), waitMs: t.waitMs - (before.get(key)?.waitMs ?? 0) }))
    .filter((t) => t.ms > 0)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count)
    .map((t) => `${t.name} (nice ${t.nice}): ran ${t.ms.toFixed(0)}, waited for a CPU ${t.waitMs.toFixed(0)} ms`)
    .join(', ');
}

/**
 * The share of `wallMs` that the measured side's SwiftShader workers (marl's threads, named
 * `Thread<NN>`: in this process for Node, in the GPU process for Chromium) were running or
 * waiting for a CPU, averaged over them: below 1, they had no work (the queue stood idle, or a
 * dispatch had too few workgroups for both), whatever other jobs took the CPU.
 */
export function workersRunnable(before: Map<string, ThreadCpu>, after: Map<string, ThreadCpu>, isNode: boolean, wallMs: number): number {
  const workers = [...after.entries()].filter(([, t]) => t.name.startsWith(isNode ? 'node Thread<' : 'gpu-process Thread<'));
  const shares = workers.map(([key, t]) => (t.ms + t.waitMs - (before.get(key)?.ms ?? 0) - (before.get(key)?.waitMs ?? 0)) / wallMs);
  return shares.reduce((a, b) => a + b, 0) / shares.length;
}

/** CPU ms of every process below this one (Chromium's browser, GPU, renderer and helpers). */
export function childrenMs(): number {
  let total = 0;
  for (const pid of childPids()) {
    const stat = readStat(`/proc/${pid}/stat`);
    if (stat) total += ticksMs(stat);
  }
  return total;
}
