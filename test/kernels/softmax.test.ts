import { describe, expect, it } from 'vitest';
import { METRICS_LENGTH, crossEntropyMetrics, softmax, softmaxCrossEntropy } from '../../src/kernels/softmax.js';
import { clearMetrics, summarizeMetrics } from '../../src/nn/metrics.js';
import { crossEntropyRef, softmaxRef } from '../../src/reference/softmax.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import { ScratchOwner } from '../../src/runtime/scratch.js';
import { expectClose, numericGradient, randomFloats, rng, testDevice } from '../helpers/gpu.js';

type Labels = 'one-hot' | 'soft' | 'unnormalised';

/** targets: (batch, classes): one-hot rows, probability rows, or positive rows not summing to 1. */
function makeTargets(batch: number, classes: number, labels: Labels, seed: number): Float32Array {
  const next = rng(seed);
  const targets = new Float32Array(batch * classes);
  for (let r = 0; r < batch; r++) {
    const row = targets.subarray(r * classes, (r + 1) * classes);
    if (labels === 'one-hot') {
      row[Math.floor(next() * classes)] = 1;
      continue;
    }
    for (let c = 0; c < classes; c++) row[c] = next();
    const sum = row.reduce((s, v) => s + v, 0);
    if (labels === 'soft') for (let c = 0; c < classes; c++) row[c] /= sum;
  }
  return targets;
}

// Error budget, f32: WGSL's exp is accurate to 3 + 2·|x| ULP and the logits below span ≤ 40,
// so a probability is within ~90 ULP ≈ 5e-6 relative; log within 3 ULP (2^-21 absolute near 1).
const PROBABILITY_TOLERANCE = { atol: 1e-8, rtol: 1e-5 };

describe('softmax kernels vs float64 reference', () => {
  it('row softmax', async () => {
    const device = await testDevice();
    // [rows, cols, lowest logit, highest logit]; the last shape would overflow exp without the max shift.
    const shapes: [number, number, number, number][] = [[1, 1, -4, 4], [1, 10, -4, 4], [7, 13, -4, 4], [33, 10, -8, 8], [130, 1000, -4, 4], [5, 7, 60, 100]];
    for (const [rows, cols, lo, hi] of shapes) {
      const x = randomFloats(rows * cols, rows * 31 + cols, lo, hi);
      const xBuf = device.upload('x', x);
      const yBuf = device.createBuffer('y', x.byteLength);
      await runDispatches(device, [await softmax(device, { rows, cols }, { x: xBuf, y: yBuf })]);
      expectClose(await device.readFloats(yBuf, 0, x.length), softmaxRef(x, rows, cols), PROBABILITY_TOLERANCE, `softmax ${rows}×${cols}`);
      xBuf.destroy();
      yBuf.destroy();
    }
  });

  // [batch, classes, labels, lowest logit, highest logit]: odd sizes, several row workgroups
  // (64 rows each), wide rows, and logits whose exp overflows f32 without the max shift.
  const shapes: [number, number, Labels, number, number][] = [
    [1, 10, 'one-hot', -5, 5],
    [7, 13, 'soft', -5, 5],
    [33, 10, 'one-hot', -5, 5],
    [130, 13, 'unnormalised', -5, 5],
    [1024, 10, 'one-hot', -5, 5],
    [7, 1000, 'soft', -5, 5],
    [9, 10, 'one-hot', 60, 100],
  ];
  for (const [batch, classes, labels, lo, hi] of shapes) {
    it(`softmax cross-entropy ${batch}×${classes} (${labels}, logits ${lo}..${hi}): gradient and accumulated metrics`, async () => {
      const device = await testDevice();
      const logits = randomFloats(batch * classes, batch + classes, lo, hi);
      const targets = makeTargets(batch, classes, labels, batch * classes);
      const logitsBuf = device.upload('logits', logits);
      const targetsBuf = device.upload('targets', targets);
      const dLogitsBuf = device.createBuffer('dLogits', logits.byteLength);
      // Garbage first: clearMetrics must zero it.
      const metricsBuf = device.upload('metrics', new Float32Array([5, 6, 7, 8]));
      clearMetrics(device, metricsBuf);
      const owner = new ScratchOwner(device);
      const train = await softmaxCrossEntropy(device, { batch, classes }, { logits: logitsBuf, targets: targetsBuf, dLogits: dLogitsBuf, metrics: metricsBuf }, owner.scratch);
      const evaluate = await crossEntropyMetrics(device, { batch, classes }, { logits: logitsBuf, targets: targetsBuf, metrics: metricsBuf }, owner.scratch);

      const ref = crossEntropyRef(logits, targets, batch, classes);
      // |batch·dLogits| ≤ max(1, Σt) and the probability inside is within 5e-6 relative.
      const gradientTolerance = { atol: 1e-6 / batch, rtol: 1e-5 };
      // Per row: log within 2^-21 absolute, plus a few ULP of the row loss (observed ≤ 1e-7 relative).
      const lossTolerance = { atol: 1e-6 * batch, rtol: 2e-6 };

      // Two training steps then one evaluation: the metrics hold three times one batch.
      await runDispatches(device, [...train, ...train]);
      expectClose(await device.readFloats(dLogitsBuf, 0, logits.length), ref.dLogits, gradientTolerance, 'dLogits');
      let metrics = await device.readFloats(metricsBuf, 0, METRICS_LENGTH);
      expectClose([metrics[0]], [2 * ref.lossSum], lossTolerance, 'loss sum after 2 steps');
      expect(Array.from(metrics.subarray(1))).toEqual([2 * ref.correct, 2 * batch, 0]);

      await runDispatches(device, evaluate);
      metrics = await device.readFloats(metricsBuf, 0, METRICS_LENGTH);
      expectClose([metrics[0]], [3 * ref.lossSum], lossTolerance, 'loss sum after evaluation');
      expect(Array.from(metrics.subarray(1))).toEqual([3 * ref.correct, 3 * batch, 0]);
      const summary = summarizeMetrics(metrics);
      expect(summary.samples).toBe(3 * batch);
      expect(summary.accuracy).toBeCloseTo(ref.correct / batch, 12);

      for (const b of [logitsBuf, targetsBuf, dLogitsBuf, metricsBuf]) b.destroy();
      owner.destroy();
    });
  }

  it('counts a row as correct by the first index of each argmax', async () => {
    const device = await testDevice();
    const classes = 3;
    // Rows: tie in logits at 1 and 2 → predicts 1; targets name 1, 2, a tie (1 and 2 → 1), 0.
    const logits = new Float32Array([0, 3, 3, 0, 3, 3, 0, 3, 3, 0, 3, 3]);
    const targets = new Float32Array([0, 1, 0, 0, 0, 1, 0, 0.5, 0.5, 1, 0, 0]);
    const logitsBuf = device.upload('logits', logits);
    const targetsBuf = device.upload('targets', targets);
    const metricsBuf = device.createBuffer('metrics', METRICS_LENGTH * 4);
    const owner = new ScratchOwner(device);
    await runDispatches(device, await crossEntropyMetrics(device, { batch: 4, classes }, { logits: logitsBuf, targets: targetsBuf, metrics: metricsBuf }, owner.scratch));
    owner.destroy();
    const metrics = await device.readFloats(metricsBuf, 0, METRICS_LENGTH);
    expect(metrics[1]).toBe(2);
    expect(crossEntropyRef(logits, targets, 4, classes).correct).toBe(2);
  });

  it('reference loss matches closed forms', () => {
    // Equal logits: softmax is uniform, so each one-hot row costs log C.
    const batch = 3;
    const classes = 13;
    const uniform = crossEntropyRef(new Float64Array(batch * classes).fill(0.7), makeTargets(batch, classes, 'one-hot', 1), batch, classes);
    expect(uniform.lossSum).toBeCloseTo(batch * Math.log(classes), 12);
    // Two classes, logits [a, 0], target class 0: loss log(1 + e^-a).
    const a = 1.3;
    expect(crossEntropyRef([a, 0], [1, 0], 1, 2).lossSum).toBeCloseTo(Math.log1p(Math.exp(-a)), 12);
    // Rows of softmax sum to 1.
    const p = softmaxRef(randomFloats(7 * 13, 3, -4, 4), 7, 13);
    for (let r = 0; r < 7; r++) expect(p.subarray(r * 13, (r + 1) * 13).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  for (const labels of ['one-hot', 'soft', 'unnormalised'] as Labels[]) {
    it(`reference gradient of the mean loss matches finite differences (${labels})`, () => {
      const batch = 5;
      const classes = 7;
      const logits = Float64Array.from(randomFloats(batch * classes, 11, -3, 3));
      const targets = makeTargets(batch, classes, labels, 12);
      const meanLoss = (l: Float64Array) => crossEntropyRef(l, targets, batch, classes).lossSum / batch;
      const numeric = numericGradient(meanLoss, logits);
      expectClose(crossEntropyRef(logits, targets, batch, classes).dLogits, numeric, { atol: 1e-8, rtol: 1e-6 }, `${labels} dLogits`);
    });
  }
});
