/**
 * `webgpu-dl train --validation-data split|test|none`: where the per-epoch validation figures
 * come from. 'test' trains on every training image and validates on MNIST's test images, as
 * Keras' mnist_cnn example did (its published per-epoch log is of that kind).
 */
import type { Mnist } from '../data/mnist.js';
import type { ValidationSource } from '../io/run-record.js';
import type { FitArgs } from '../nn/fit.js';
import { UsageError } from './usage.js';

/** The fraction 'split' holds out for a preset that holds out none of its own (Keras examples' usual 0.1). */
export const DEFAULT_VALIDATION_SPLIT = 0.1;

export interface ValidationChoice {
  source: ValidationSource;
  /** The fraction held out, for 'split'. */
  split?: number;
}

/** The choice the option names; without the option, the preset's own (its split, or none). */
export function validationChoice(value: string | undefined, presetSplit: number | undefined): ValidationChoice {
  if (value === undefined) return presetSplit ? { source: 'split', split: presetSplit } : { source: 'none' };
  if (value === 'split') return { source: 'split', split: presetSplit ?? DEFAULT_VALIDATION_SPLIT };
  if (value === 'test' || value === 'none') return { source: value };
  throw new UsageError(`--validation-data must be split, test or none, got '${value}'`);
}

/** fit's validation arguments for the choice. */
export function validationFitArgs(choice: ValidationChoice, mnist: Mnist): Pick<FitArgs, 'validationSplit' | 'validationData'> {
  if (choice.source === 'test') return { validationData: [mnist.test.images, mnist.test.labels] };
  return { validationSplit: choice.split };
}

/** How many images train and validate each epoch. */
export function validationCounts(choice: ValidationChoice, mnist: Mnist): { train: number; validation: number } {
  const count = mnist.train.count;
  if (choice.source === 'test') return { train: count, validation: mnist.test.count };
  if (choice.source === 'none') return { train: count, validation: 0 };
  const train = Math.floor(count * (1 - choice.split!)); // as fit splits
  return { train, validation: count - train };
}

/** The choice in words, for the line train prints before it starts. */
export function validationText(choice: ValidationChoice, mnist: Mnist): string {
  const { validation } = validationCounts(choice, mnist);
  if (choice.source === 'test') return `, validating on the ${validation} test images`;
  if (choice.source === 'split') return ` (${Math.round(choice.split! * 100)}%, ${validation} images, held out for validation)`;
  return '';
}
