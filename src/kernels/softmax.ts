/**
 * Row softmax, and softmax fused with categorical cross-entropy: the gradient of the mean
 * loss and GPU-side accumulation of [lossSum, correctCount, sampleCount, 0].
 */
import code from '../../shaders/softmax.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';

/** Rows (and, in the cross-entropy passes, the partial sums) per workgroup. A power of two. */
const WG = 64;

/** Layout of the metrics buffer: `array<f32>` of METRICS_LENGTH values. */
export const METRICS_LENGTH = 4;
export const METRIC = { lossSum: 0, correct: 1, samples: 2 } as const;

export interface CrossEntropyShape {
  batch: number;
  classes: number;
}

/** y = softmax(x) row by row. x, y: (rows, cols). */
export function softmax(
  device: Device,
  shape: { rows: number; cols: number },
  io: { x: Binding; y: Binding },
): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: 'softmax', code, entryPoint: 'softmaxRows', constants: { ROWS: shape.rows, COLS: shape.cols, WG } },
    [io.x, io.y],
    grid(shape.rows, WG),
  );
}

/**
 * Training step of softmax + categorical cross-entropy (two dispatches, in order).
 *   logits, targets: (batch, classes); targets are f32 one-hot or soft labels.
 *   dLogits: (batch, classes) = (softmax − targets) / batch, the gradient of the mean loss.
 *   metrics: (4) += [Σ rows' loss, rows with argmax(logits) == argmax(targets), batch, 0].
 */
export function softmaxCrossEntropy(
  device: Device,
  shape: CrossEntropyShape,
  io: { logits: Binding; targets: Binding; dLogits: Binding; metrics: Binding },
  scratch: Scratch,
): Promise<Dispatch[]> {
  return crossEntropyPasses(device, shape, { label: 'softmax cross-entropy', entryPoint: 'crossEntropyTrain' }, io.metrics, scratch, (partials) => [
    io.logits,
    io.targets,
    partials,
    io.dLogits,
  ]);
}

/** Evaluation: the metrics of softmaxCrossEntropy without the gradient (two dispatches). */
export function crossEntropyMetrics(
  device: Device,
  shape: CrossEntropyShape,
  io: { logits: Binding; targets: Binding; metrics: Binding },
  scratch: Scratch,
): Promise<Dispatch[]> {
  return crossEntropyPasses(device, shape, { label: 'cross-entropy metrics', entryPoint: 'crossEntropyEval' }, io.metrics, scratch, (partials) => [
    io.logits,
    io.targets,
    partials,
  ]);
}

async function crossEntropyPasses(
  device: Device,
  shape: CrossEntropyShape,
  rowsPass: { label: string; entryPoint: string },
  metrics: Binding,
  scratch: Scratch,
  rowsBindings: (partials: GPUBuffer) => Binding[],
): Promise<Dispatch[]> {
  const partialCount = Math.ceil(shape.batch / WG);
  const constants = { ROWS: shape.batch, COLS: shape.classes, WG, PARTIALS: partialCount };
  const { label, entryPoint } = rowsPass;
  // partials: (partialCount, 2) = [loss, correct] per row workgroup.
  const partials = scratch(`${label} partials`, partialCount * 2 * 4);
  return [
    await createDispatch(device, { label, code, entryPoint, constants }, rowsBindings(partials), grid(shape.batch, WG)),
    await createDispatch(device, { label: `${label} finish`, code, entryPoint: 'crossEntropyFinish', constants }, [partials, metrics], [1]),
  ];
}
