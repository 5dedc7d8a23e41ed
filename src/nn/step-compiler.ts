/**
 * Compiles a Sequential model into the static steps it runs: a training step (forward,
 * loss, backward, optimizer update), an evaluation step (forward in inference mode, loss and
 * accuracy sums) and a prediction step (forward, softmax). Each is built once per batch size:
 * tensors planned into buffers, every pipeline and bind group created here, so running a
 * step only records the same dispatches into a new command encoder.
 */
import type { Device } from '../device/device.js';
import type { Dispatch } from '../runtime/dispatch.js';
import { recordBackward, type Backward } from '../graph/autodiff.js';
import { Graph, type TensorId } from '../graph/graph.js';
import { checkTensorSizes } from '../graph/limits.js';
import { planMemory, type MemoryPlan } from '../graph/planner.js';
import { DATA_INPUT, checkInputGradients, elements, firstTrainedLayer, type InputFacts, type Layer, type RecordContext } from './layers/layer.js';
import { regularizationPenalty, regularizeGradient } from '../kernels/regularize.js';
import { constrain } from '../kernels/constrain.js';
import { constraintShape } from './constraints.js';
import { penalizes, type Regularizer } from './regularizers.js';
import type { WeightStore } from './weights.js';
import type { LossRecorder } from './loss.js';

/** The loss as the step compiler sees it (src/nn/loss.ts). */

/** The optimizer as the step compiler sees it (src/nn/optimizers.ts). */
export interface OptimizerRecorder {
  /** Records the update of every trainable parameter from the flat gradient buffer. */
  record(ctx: RecordContext): void;
  /** Called before each training step is submitted, with the steps taken so far (a schedule's rate). */
  beforeStep?(step: number): void;
  /** Frees the optimizer's state buffers. */
  destroy(): void;
}

export type StepMode = 'train' | 'evaluate' | 'predict';

/** The model state every step shares. */
export interface ModelState {
  device: Device;
  layers: Layer[];
  weights: WeightStore;
  /** Per-sample input shape, e.g. [28, 28, 1]. */
  inputShape: number[];
  classes: number;
  /** (4) u32: [step, seed, 0, 0]. */
  stepInfo: GPUBuffer;
  /** (4) f32: [lossSum, correctCount, sampleCount, 0], accumulated by the loss kernels. */
  metrics: GPUBuffer;
  loss: LossRecorder;
  optimizer: OptimizerRecorder;
}

export interface CompiledStep {
  mode: StepMode;
  batch: number;
  /** (batch, ...inputShape) f32, written by the host before each run. */
  x: GPUBuffer;
  /** (batch, classes) f32 one-hot targets; absent in predict mode. */
  targets?: GPUBuffer;
  /** (batch, classes) class probabilities; predict mode only. */
  probabilities?: { buffer: GPUBuffer; offset: number; size: number };
  dispatches: Dispatch[];
  memory: MemoryPlan;
  destroy(): void;
}

export async function compileStep(state: ModelState, mode: StepMode, batch: number): Promise<CompiledStep> {
  const { device, layers, weights, inputShape, classes } = state;
  const label = `${mode} step (batch ${batch})`;
  const graph = new Graph();
  const ctx = {
    device,
    graph,
    weights,
    training: mode === 'train',
    batch,
    stepInfo: { buffer: state.stepInfo, offset: 0, size: 16 },
  };
  const x = graph.tensor('x', [batch, ...inputShape]);
  graph.tensors[x].hostVisible = true;
  const backwards: Backward[] = [];
  const activities: { layer: Layer; y: TensorId }[] = []; // outputs with an activity regularizer
  let y: TensorId = x;
  let facts: InputFacts = DATA_INPUT;
  // Backward starts at the first layer with trainable weights: the layers before it (data
  // preparation such as Rescaling or random augmentation, frozen layers) have no gradient to
  // take and pass none on, and that layer's input gradient is not needed (src/graph/autodiff.ts).
  const firstTrained = firstTrainedLayer(layers);
  if (mode === 'train') checkInputGradients(layers);
  for (const [index, layer] of layers.entries()) {
    const trained = mode === 'train' && index >= firstTrained;
    await layer.prepare(ctx, { inputGradient: trained && index > firstTrained, weightGradient: trained });
    const recorded = layer.record(ctx, y, facts);
    y = recorded.y;
    facts = { reluOutput: recorded.reluOutput ?? false };
    if (layer.activityRegularizer) activities.push({ layer, y });
    if (trained) {
      if (!recorded.backward) throw new Error(`${layer.className} layer '${layer.name}' cannot be trained`);
      backwards.push(layer.activityRegularizer ? withActivityGradient(ctx, layer.activityRegularizer, y, recorded.backward) : recorded.backward);
    }
  }
  // y now holds the logits: the softmax of the output layer is fused with the loss.
  let probabilities: TensorId | undefined;
  let targets: TensorId | undefined;
  if (mode === 'predict') {
    probabilities = state.loss.recordProbabilities(ctx, y);
    graph.tensors[probabilities].hostVisible = true;
  } else {
    targets = graph.tensor('targets', [batch, classes]);
    graph.tensors[targets].hostVisible = true;
    const dLogits = state.loss.record(ctx, y, targets, state.metrics, mode === 'train');
    recordRegularization(ctx, state.metrics, 'penalty');
    recordActivityPenalties(ctx, state.metrics, activities);
    if (mode === 'train') {
      recordBackward(backwards, dLogits!);
      recordRegularization(ctx, state.metrics, 'gradient');
      state.optimizer.record(ctx);
      recordConstraints(ctx);
    }
  }

  // Every tensor against the device's limits before the planner creates any buffer.
  checkTensorSizes(device, graph, batch, label);
  const memory = planMemory(device, graph, label);
  const dispatches: Dispatch[] = [];
  try {
    for (const op of graph.ops) dispatches.push(...(await op.createDispatches(memory.bind, memory.scratch)));
  } catch (err) {
    // A pipeline that failed to build: free the plan's buffers, scratch made so far included.
    for (const b of memory.buffers) b.destroy();
    throw err;
  }
  return {
    mode,
    batch,
    x: memory.hostBuffer(x),
    targets: targets === undefined ? undefined : memory.hostBuffer(targets),
    probabilities: probabilities === undefined ? undefined : { buffer: memory.hostBuffer(probabilities), offset: 0, size: batch * classes * 4 },
    dispatches,
    memory,
    destroy() {
      for (const b of memory.buffers) b.destroy();
    },
  };
}

/**
 * Keras 3's activity regularization of a layer's output y: the loss gains r(y) / batch (the
 * running loss sum, which counts each sample once, gains r(y)), recorded after the loss kernel.
 */
function recordActivityPenalties(ctx: RecordContext, metrics: GPUBuffer, activities: readonly { layer: Layer; y: TensorId }[]): void {
  const { device, graph } = ctx;
  for (const { layer, y } of activities) {
    graph.add({
      label: `${layer.name} activity regularizer penalty`,
      reads: [y],
      writes: [],
      createDispatches: (bind, scratch) =>
        regularizationPenalty(device, elements(graph.shape(y)), layer.activityRegularizer!, 1, { w: bind(y), metrics: { buffer: metrics, offset: 0, size: 16 } }, scratch),
    });
  }
}

/**
 * The layer's backward with its activity penalty's gradient, (l1·sign(y) + 2·l2·y) / batch,
 * first added to the gradient at its output (in place: that gradient is this layer's alone).
 * Where the next layer has already applied this layer's ReLU (reluApplied), the term is 0
 * wherever the mask is, since y is.
 */
function withActivityGradient(ctx: RecordContext, r: Regularizer, y: TensorId, backward: Backward): Backward {
  const { device, graph, batch } = ctx;
  const perSample = { l1: r.l1 / batch, l2: r.l2 / batch };
  return (dY, needInputGrad) => {
    graph.add({
      label: `activity regularizer gradient of ${graph.tensors[y].label}`,
      reads: [y, dY.d],
      writes: [],
      createDispatches: async (bind) => [await regularizeGradient(device, elements(graph.shape(y)), perSample, { w: bind(y), grads: bind(dY.d) })],
    });
    return backward(dY, needInputGrad);
  };
}

/** Records the projection of every constrained trainable weight, after the optimizer's update (as Keras 3 applies constraints). */
function recordConstraints(ctx: RecordContext): void {
  const { device, graph, weights } = ctx;
  for (const slot of weights.slots) {
    const c = slot.constraint;
    if (!c || !slot.trainable) continue;
    graph.add({
      label: `${slot.name} ${c.kind} constraint`,
      reads: [],
      writes: [],
      createDispatches: async () => [await constrain(device, c, constraintShape(slot.shape), { w: weights.range(slot) })],
    });
  }
}

/**
 * Records the regularized weights' penalties into the running loss sum (`metrics`, after the
 * loss kernel: training and evaluation) and, when training, their gradients into the flat
 * gradient buffer (after every weight gradient is written, before the optimizer's update).
 */
function recordRegularization(ctx: RecordContext, metrics: GPUBuffer, part: 'penalty' | 'gradient'): void {
  const { device, graph, weights, batch } = ctx;
  for (const slot of weights.slots) {
    const r = slot.regularizer;
    // Keras regularizes trainable weights only: a frozen layer's add no penalty.
    if (!penalizes(r) || !slot.trainable) continue;
    const w = weights.range(slot);
    graph.add({
      label: `${slot.name} regularizer ${part}`,
      reads: [],
      writes: [],
      createDispatches: async (_bind, scratch) =>
        part === 'penalty'
          ? regularizationPenalty(device, slot.elements, r, batch, { w, metrics: { buffer: metrics, offset: 0, size: 16 } }, scratch)
          : [await regularizeGradient(device, slot.elements, r, { w, grads: weights.gradRange(slot) })],
    });
  }
}
