/**
 * y = act(a·W + b), the core shared by Dense (a = x) and Conv2D (a = im2col(x)), with its
 * backward: dZ = act'(dY), dW = aᵀ·dZ, db = Σ_rows dZ, dA = dZ·Wᵀ. Gradients of W and b are
 * written straight into the flat gradient buffer the optimizer reads. When a is itself a
 * ReLU's output (`reluInput`: x = a for Dense and a pointwise Conv2D), dA's matmul also applies
 * that ReLU's backward in its epilogue, dA = (dZ·Wᵀ) ⊙ (a > 0) (src/graph/autodiff.ts).
 */
import type { Gradient } from '../../graph/autodiff.js';
import type { TensorId } from '../../graph/graph.js';
import { columnSum } from '../../kernels/column-sum.js';
import { matmul } from '../../kernels/matmul.js';
import type { Binding, Dispatch } from '../../runtime/dispatch.js';
import type { Scratch } from '../../runtime/scratch.js';
import { checkInitializer, initialize, initializerRankProblem, type Initializer } from '../initializers.js';
import { checkConstraint, constraintFor, type Constraint, type ConstraintArg, type ConstraintSpec } from '../constraints.js';
import { checkRegularizer, type Regularizer, type RegularizerArg } from '../regularizers.js';
import type { WeightSlot, WeightSpec } from '../weights.js';
import { activationConfig, readActivation, recordActivation, recordActivationBackward, separateActivation, type ActivationName } from './activation.js';
import { constraintConfig, regularizerConfig, type ConfigReader, type KerasConfig, type KerasFlavor } from './keras-config.js';
import { initializerConfig, takeInitializer } from './keras-initializers.js';
import type { RecordContext } from './layer.js';

export interface LinearShape {
  /** Rows of a: batch (Dense) or batch·OH·OW (Conv2D). */
  rows: number;
  /** Columns of a: input features, or KH·KW·CIN. */
  inner: number;
  /** Output features or filters. */
  units: number;
}

export function recordLinear(
  ctx: RecordContext,
  label: string,
  a: TensorId, // (rows, inner)
  outShape: readonly number[], // rows·units elements, in the layer's output shape
  { rows, inner, units }: LinearShape,
  kernel: WeightSlot, // (inner, units)
  bias: WeightSlot | undefined, // (units)
  activation: ActivationName,
  reluInput: boolean,
): { z: TensorId; y: TensorId; reluOutput: boolean; backward: (dY: Gradient, needDA: boolean) => TensorId | undefined } {
  const { graph, device, weights } = ctx;
  // ReLU fuses into the matmul epilogue; softmax is the loss's (or the model's) business.
  const fused = activation === 'relu' ? 'relu' : 'linear';
  const z = graph.tensor(`${label}/output`, outShape);
  graph.add({
    label: `${label} matmul`,
    reads: [a],
    writes: [z],
    createDispatches: (bind, scratch) =>
      matmul(
        device,
        { m: rows, n: units, k: inner, bias: bias !== undefined, activation: fused, label: `${label} matmul` },
        { a: bind(a), b: weights.range(kernel), c: bind(z), bias: bias && weights.range(bias) },
        scratch,
      ),
  });
  const separate = separateActivation(activation);
  const y = separate ? recordActivation(ctx, label, separate, z) : z;

  /** Returns dA, masked by a's ReLU when reluInput (the caller says reluApplied: reluInput). */
  const backward = (dY: Gradient, needDA: boolean): TensorId | undefined => {
    const dZ = recordOutputGradient(ctx, label, activation, z, y, dY);
    if (kernel.trainable) recordWeightGradient(ctx, label, a, dZ, { rows, inner, units }, kernel, bias);
    return needDA ? recordLinearInputGradient(ctx, label, dZ, { rows, inner, units }, kernel, reluInput ? a : undefined) : undefined;
  };
  return { z, y, reluOutput: fused === 'relu', backward };
}

/**
 * dZ, the gradient at the output z of a linear map whose activation (fused ReLU, or a separate
 * one with output y: sigmoid, tanh, leaky relu) comes after: the ReLU's backward needs only z, its output; the
 * next layer may have applied it already (see src/graph/autodiff.ts).
 */
export function recordOutputGradient(ctx: RecordContext, label: string, activation: ActivationName, z: TensorId, y: TensorId, dY: Gradient): TensorId {
  const fused = activation === 'relu';
  if (dY.reluApplied && !fused) throw new Error(`internal: ${label} was given a ReLU-masked gradient but has no ReLU`);
  const separate = separateActivation(activation);
  if (separate) return recordActivationBackward(ctx, label, separate, { z, y }, dY.d);
  // The fused ReLU's output is not a tensor of its own: z serves, positive exactly where it is.
  if (fused && !dY.reluApplied) return recordActivationBackward(ctx, label, 'relu', { z, y: z }, dY.d);
  return dY.d;
}

/** dW = aᵀ·dZ and db = Σ_rows dZ, written straight into the flat gradient buffer. */
export function recordWeightGradient(
  ctx: RecordContext,
  label: string,
  a: TensorId, // (rows, inner)
  dZ: TensorId, // (rows, units)
  { rows, inner, units }: LinearShape,
  kernel: WeightSlot, // (inner, units)
  bias: WeightSlot | undefined, // (units)
): void {
  const { graph, device, weights } = ctx;
  graph.add({
    label: `${label} weight gradient`,
    reads: [a, dZ],
    writes: [],
    createDispatches: async (bind, scratch) => [
      ...(await matmul(
        device,
        { m: inner, n: units, k: rows, transA: true, label: `${label} dW` },
        { a: bind(a), b: bind(dZ), c: weights.gradRange(kernel) },
        scratch,
      )),
      ...(await biasGradient(ctx, bind(dZ), rows, units, bias, scratch)),
    ],
  });
}

/** db = Σ_rows dZ into the flat gradient buffer (no dispatch without a bias): every layer's bias gradient. */
export function biasGradient(ctx: RecordContext, dZ: Binding /* (rows, units) */, rows: number, units: number, bias: WeightSlot | undefined, scratch: Scratch): Promise<Dispatch[]> {
  if (!bias) return Promise.resolve([]);
  return columnSum(ctx.device, { rows, cols: units }, { x: dZ, out: ctx.weights.gradRange(bias) }, scratch);
}

/**
 * dA = dZ·Wᵀ: (rows, inner); with `reluOutput` (rows, inner), a ReLU's output (a itself), also
 * that ReLU's backward: 0 where reluOutput ≤ 0, in the matmul's epilogue.
 */
export function recordLinearInputGradient(
  ctx: RecordContext,
  label: string,
  dZ: TensorId, // (rows, units)
  { rows, inner, units }: LinearShape,
  kernel: WeightSlot, // (inner, units)
  reluOutput?: TensorId, // (rows, inner)
): TensorId {
  const { graph, device, weights } = ctx;
  const dA = graph.tensor(`${label}/dInput`, [rows, inner]); // (rows, inner)
  graph.add({
    label: reluOutput ? `${label} input gradient +relu backward` : `${label} input gradient`,
    reads: reluOutput ? [dZ, reluOutput] : [dZ],
    writes: [dA],
    createDispatches: (bind, scratch) =>
      matmul(
        device,
        { m: rows, n: inner, k: units, transB: true, reluMask: reluOutput !== undefined, label: `${label} dX` },
        { a: bind(dZ), b: weights.range(kernel), c: bind(dA), mask: reluOutput === undefined ? undefined : bind(reluOutput) },
        scratch,
      ),
  });
  return dA;
}

/** The arguments Dense and Conv2D share. */
export interface LinearArgs {
  activation: ActivationName;
  useBias: boolean;
  kernelInitializer: Initializer;
  biasInitializer: Initializer;
  kernelRegularizer?: Regularizer;
  biasRegularizer?: Regularizer;
  kernelConstraint?: ConstraintSpec;
  biasConstraint?: ConstraintSpec;
  activityRegularizer?: Regularizer;
}

/** Reads the arguments Dense and Conv2D share from their Keras config. */
export function readLinearArgs(c: ConfigReader): LinearArgs {
  return {
    activation: readActivation(c),
    useBias: c.bool('use_bias', true),
    kernelInitializer: takeInitializer(c, 'kernel_initializer', 'glorotUniform'),
    biasInitializer: takeInitializer(c, 'bias_initializer', 'zeros'),
    kernelRegularizer: c.regularizer('kernel_regularizer'),
    biasRegularizer: c.regularizer('bias_regularizer'),
    kernelConstraint: c.constraint('kernel_constraint'),
    biasConstraint: c.constraint('bias_constraint'),
    activityRegularizer: c.regularizer('activity_regularizer'),
  };
}

/** Writes them as Keras does, in its order (the activity regularizer, off, and the constraints, after it, are the layer's to write: linearConstraintsConfig). */
export function linearConfig(layer: LinearArgs, flavor: KerasFlavor): KerasConfig {
  return {
    activation: activationConfig(layer.activation, flavor),
    use_bias: layer.useBias,
    kernel_initializer: initializerConfig(layer.kernelInitializer, flavor),
    bias_initializer: initializerConfig(layer.biasInitializer, flavor),
    kernel_regularizer: regularizerConfig(layer.kernelRegularizer, flavor),
    bias_regularizer: regularizerConfig(layer.biasRegularizer, flavor),
  };
}

/** kernel_constraint and bias_constraint as Keras writes them, the constraints with their axes resolved. */
export function linearConstraintsConfig(layer: { weightSlots: readonly WeightSlot[]; kernelConstraint?: ConstraintSpec; biasConstraint?: ConstraintSpec }, flavor: KerasFlavor): KerasConfig {
  const [kernel, bias] = layer.weightSlots;
  return { kernel_constraint: weightConstraintConfig(kernel, layer.kernelConstraint, flavor), bias_constraint: weightConstraintConfig(bias, layer.biasConstraint, flavor) };
}

/**
 * A weight's constraint as Keras writes it: with its axis as resolved at build (the slot's), or
 * as given before build where no axis is left to resolve; null for none.
 */
export function weightConstraintConfig(slot: WeightSlot | undefined, spec: ConstraintSpec | undefined, flavor: KerasFlavor): KerasConfig | null {
  const resolved = slot?.constraint ?? (spec && (spec.kind === 'nonNeg' || spec.axis !== undefined) ? (spec as Constraint) : undefined);
  return constraintConfig(resolved, flavor);
}

/** The kernel's and bias's constraints from a layer's arguments (Dense and Conv2D); their axes are resolved at build (linearWeightConstraint). */
export function linearConstraints(layer: string, args: { kernelConstraint?: ConstraintArg; biasConstraint?: ConstraintArg }): Pick<LinearArgs, 'kernelConstraint' | 'biasConstraint'> {
  return {
    // null: none, as TF.js writes it.
    kernelConstraint: args.kernelConstraint == null ? undefined : checkConstraint(`${layer}: kernelConstraint`, args.kernelConstraint),
    biasConstraint: args.biasConstraint == null ? undefined : checkConstraint(`${layer}: biasConstraint`, args.biasConstraint),
  };
}

/**
 * The kernel's and (with useBias) the bias's weight specs of Dense and Conv2D: the kernel of
 * `kernelShape`, the bias of its last dimension, each with its Keras initializer (drawn with the
 * layer's fans), regularizer and constraint (its axis resolved for the shape). `where` names the layer.
 */
export function linearWeightSpecs(
  layer: LinearArgs,
  where: string,
  kernelShape: number[],
  { fanIn, fanOut }: { fanIn: number; fanOut: number },
  random: () => number,
): WeightSpec[] {
  const units = kernelShape[kernelShape.length - 1];
  const constraint = (arg: string, spec: ConstraintSpec | undefined, shape: number[]) => spec && constraintFor(`${where}: ${arg}`, spec, shape);
  const specs: WeightSpec[] = [
    {
      name: 'kernel',
      shape: kernelShape,
      trainable: true,
      regularizer: layer.kernelRegularizer,
      constraint: constraint('kernelConstraint', layer.kernelConstraint, kernelShape),
      init: () => initialize(layer.kernelInitializer, kernelShape, fanIn, fanOut, random),
    },
  ];
  if (layer.useBias) {
    specs.push({
      name: 'bias',
      shape: [units],
      trainable: true,
      regularizer: layer.biasRegularizer,
      constraint: constraint('biasConstraint', layer.biasConstraint, [units]),
      init: () => initialize(layer.biasInitializer, [units], fanIn, fanOut, random),
    });
  }
  return specs;
}

/** The kernel's, bias's and output's regularizers from a layer's arguments (Dense and Conv2D). */
export function linearRegularizers(
  layer: string,
  args: { kernelRegularizer?: RegularizerArg; biasRegularizer?: RegularizerArg; activityRegularizer?: RegularizerArg; activation?: unknown },
): Pick<LinearArgs, 'kernelRegularizer' | 'biasRegularizer' | 'activityRegularizer'> {
  const activityRegularizer = checkRegularizer(`${layer}: activityRegularizer`, args.activityRegularizer);
  // The engine's softmax output is the loss's (logits in the graph): no tensor to penalize.
  if (activityRegularizer && args.activation === 'softmax') throw new Error(`${layer}: an activityRegularizer on a softmax output is not supported`);
  return {
    kernelRegularizer: checkRegularizer(`${layer}: kernelRegularizer`, args.kernelRegularizer),
    biasRegularizer: checkRegularizer(`${layer}: biasRegularizer`, args.biasRegularizer),
    activityRegularizer,
  };
}

/**
 * The kernel's and bias's initializers from a layer's arguments (Dense and Conv2D, whose kernel
 * has `kernelRank` axes), Keras' defaults where absent; refused where they cannot fill the
 * weight (Orthogonal on a bias, Identity on a conv kernel), as Keras refuses them at build.
 */
export function linearInitializers(layer: string, args: { kernelInitializer?: Initializer; biasInitializer?: Initializer }, kernelRank: number): Pick<LinearArgs, 'kernelInitializer' | 'biasInitializer'> {
  const checked = (arg: string, value: unknown, rank: number) => {
    const init = checkInitializer(`${layer}: ${arg}`, value);
    const problem = initializerRankProblem(init, rank);
    if (problem) throw new Error(`${layer}: ${arg}: ${problem}`);
    return init;
  };
  return {
    kernelInitializer: checked('kernelInitializer', args.kernelInitializer ?? 'glorotUniform', kernelRank),
    biasInitializer: checked('biasInitializer', args.biasInitializer ?? 'zeros', 1),
  };
}
