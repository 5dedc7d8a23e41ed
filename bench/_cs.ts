import { createDevice } from '../src/device/device.js';
import { columnSum } from '../src/kernels/column-sum.js';
import { ScratchOwner } from '../src/runtime/scratch.js';
import { DispatchTimer, median } from '../src/runtime/timing.js';
import code from '../shaders/column-sum.wgsl';
import { createDispatch } from '../src/runtime/dispatch.js';
const device = await createDevice({ tuning: 'off' });
const t = new DispatchTimer(device);
const o = new ScratchOwner(device);
const calls: [string, any][] = [];
for (const [rows, cols] of [[78400, 16], [19600, 32], [4900, 64]]) {
  const x = o.scratch('x', rows * cols * 4), out = o.scratch('o', cols * 4), part = o.scratch('p', Math.ceil(rows / 128) * cols * 4);
  const chunks = Math.ceil(rows / 128);
  const constants = { ROWS: rows, COLS: cols, CHUNKS: chunks, ROWS_PER_CHUNK: 128, WG: 64 };
  calls.push([`${rows}x${cols} scalar`, [await createDispatch(device, { label: 'cs', code, entryPoint: 'partial', constants }, [x, part], [Math.ceil(cols / 64), chunks]), await createDispatch(device, { label: 'csf', code, entryPoint: 'finish', constants }, [part, out], [1])]]);
  calls.push([`${rows}x${cols} vec4`, await columnSum(device, { rows, cols }, { x, out }, o.scratch)]);
}
const res = new Map<string, number[]>();
for (let r = 0; r < 7; r++) for (const [name, call] of calls) res.set(name, [...(res.get(name) ?? []), (await t.perCall(call, { warmup: 1, reps: 5, seconds: 0, minReps: 5, maxReps: 5, onceAboveMs: 1e9 })).ms]);
for (const [name, ms] of res) console.log(name.padEnd(24), 'median', median(ms).toFixed(2), '  rounds', ms.map((x) => x.toFixed(1)).join(' '));
process.exit(0);
