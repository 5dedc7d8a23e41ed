import { createDevice } from '../src/device/device.js';
import { matmul, matmulCandidates, type MatmulParams } from '../src/kernels/matmul.js';
import { DispatchTimer } from '../src/runtime/timing.js';
const device = await createDevice();
const timer = new DispatchTimer(device);
const shapes: MatmulParams[] = JSON.parse(process.argv[2]);
for (const p of shapes) {
  const aLen = p.m * p.k, bLen = p.k * p.n;
  const a = device.createBuffer('a', aLen * 4), b = device.createBuffer('b', bLen * 4), c = device.createBuffer('c', p.m * p.n * 4);
  const row: string[] = [];
  for (const kernel of matmulCandidates(device, p)) {
    const d = await matmul(device, { ...p, kernel }, { a, b, c });
    const { ms } = await timer.perCall(d, { warmup: 1, seconds: 1.5, minReps: 2, maxReps: 20, onceAboveMs: 2000 });
    row.push(`${kernel} ${((2 * p.m * p.n * p.k) / ms / 1e6).toFixed(2)}`);
  }
  console.log(JSON.stringify(p), row.join(' | '), timer.clock);
}
