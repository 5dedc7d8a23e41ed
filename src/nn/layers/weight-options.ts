/**
 * A weight's Keras regularizer and constraint, for the layers whose weights are not Dense's and
 * Conv2D's kernel and bias (those are linear.ts'): DepthwiseConv2D's depthwise kernel,
 * SeparableConv2D's depthwise and pointwise kernels, PReLU's alpha, and their biases. Keras
 * names the arguments after the weight: `depthwise_regularizer`, `alpha_constraint`, …; the
 * penalty and the projection are the engine's generic ones (WeightSpec.regularizer, .constraint).
 */
import { checkConstraint, constraintFor, type ConstraintArg, type ConstraintSpec } from '../constraints.js';
import { checkRegularizer, type Regularizer, type RegularizerArg } from '../regularizers.js';
import type { WeightSlot, WeightSpec } from '../weights.js';
import { regularizerConfig, type ConfigReader, type KerasConfig, type KerasFlavor } from './keras-config.js';
import { weightConstraintConfig } from './linear.js';

export interface WeightOptions {
  regularizer?: Regularizer;
  constraint?: ConstraintSpec;
}

/** A layer's arguments `${weight}Regularizer` and `${weight}Constraint`, checked (`layer` names it in errors). */
export function weightOptions(layer: string, weight: string, regularizer: RegularizerArg | undefined, constraint: ConstraintArg | null | undefined): WeightOptions {
  return {
    regularizer: checkRegularizer(`${layer}: ${weight}Regularizer`, regularizer),
    constraint: constraint == null ? undefined : checkConstraint(`${layer}: ${weight}Constraint`, constraint),
  };
}

/** The same from a Keras config's `${key}_regularizer` and `${key}_constraint`. */
export function readWeightOptions(c: ConfigReader, key: string): WeightOptions {
  return { regularizer: c.regularizer(`${key}_regularizer`), constraint: c.constraint(`${key}_constraint`) };
}

/** The WeightSpec fields for a weight of `shape` (its constraint's axis resolved; `where` names it in errors). */
export function weightSpecOptions(where: string, options: WeightOptions, shape: number[]): Pick<WeightSpec, 'regularizer' | 'constraint'> {
  return { regularizer: options.regularizer, constraint: options.constraint && constraintFor(where, options.constraint, shape) };
}

/** `${key}_regularizer` as Keras writes it. */
export function regularizerEntry(key: string, options: WeightOptions, flavor: KerasFlavor): KerasConfig {
  return { [`${key}_regularizer`]: regularizerConfig(options.regularizer, flavor) };
}

/** `${key}_constraint` as Keras writes it, its axis as resolved at build. */
export function constraintEntry(key: string, options: WeightOptions, slot: WeightSlot | undefined, flavor: KerasFlavor): KerasConfig {
  return { [`${key}_constraint`]: weightConstraintConfig(slot, options.constraint, flavor) };
}
