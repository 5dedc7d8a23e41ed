/**
 * The Train card's form: model preset, optimizer, learning rate, epochs, batch size and how
 * many training images. Choosing a preset fills in its Keras settings and shows its summary.
 */
import { optimizers, presets, presetNames, type OptimizerKind } from '../src/index.js';
import { withDefaults } from '../src/nn/optimizers.js';
import { formatCount, percent } from './format.js';
import { TRAIN_POOL } from './mnist-download.js';
import type { PageElements } from './page.js';

const SUBSETS = [256, 1024, 4096, 16384, TRAIN_POOL];

export interface TrainingSettings {
  preset: string;
  optimizer: OptimizerKind;
  learningRate: number;
  epochs: number;
  batchSize: number;
  subset: number;
}

/**
 * Fills the form's choices and first values. `software`: the adapter runs on the CPU, about a
 * hundred times slower than a GPU, so the form proposes less work.
 */
export function fillTrainingForm(ui: PageElements, software: boolean): void {
  for (const name of presetNames) ui.preset.add(new Option(name, name));
  for (const kind of Object.keys(optimizers)) ui.optimizer.add(new Option(kind, kind));
  for (const n of SUBSETS) ui.subset.add(new Option(n === TRAIN_POOL ? `${formatCount(n)} (all)` : formatCount(n), String(n)));
  ui.preset.addEventListener('change', () => applyPreset(ui, ui.preset.value, software));
  ui.optimizer.addEventListener('change', () => {
    ui.learningRate.value = String(withDefaults({ kind: ui.optimizer.value as OptimizerKind }).learningRate);
  });
  // The first model `npm start` trains: mnist-conv3 with Adam.
  ui.preset.value = 'mnist-conv3';
  applyPreset(ui, 'mnist-conv3', software);
  ui.optimizer.value = 'adam';
  ui.learningRate.value = String(withDefaults({ kind: 'adam' }).learningRate);
  ui.subset.value = String(software ? 1024 : TRAIN_POOL);
}

/** Sets the form to the preset's Keras settings (fewer epochs on a CPU) and shows its summary. */
export function applyPreset(ui: PageElements, name: string, software: boolean): void {
  const preset = presets[name]();
  ui.optimizer.value = preset.optimizer.kind;
  ui.learningRate.value = String(withDefaults(preset.optimizer).learningRate);
  ui.epochs.value = String(software ? Math.min(preset.fit.epochs, 3) : preset.fit.epochs);
  ui.batchSize.value = String(preset.fit.batchSize);
  ui.presetDescription.textContent = `${preset.description}. Keras' settings: batch ${preset.fit.batchSize}, ${preset.fit.epochs} epochs` +
    (preset.kerasTestAccuracy ? `, ${percent(preset.kerasTestAccuracy)} test accuracy.` : '.');
  ui.summary.textContent = preset.model.summary();
}

/** The form's values; throws, naming the field, when one is out of range. */
export function readTrainingForm(ui: PageElements): TrainingSettings {
  const integer = (input: HTMLInputElement, label: string, low: number, high: number) => {
    const value = Number(input.value);
    if (!Number.isInteger(value) || value < low || value > high) throw new Error(`${label} must be a whole number from ${low} to ${high}`);
    return value;
  };
  const learningRate = Number(ui.learningRate.value);
  if (!(Number.isFinite(learningRate) && learningRate > 0)) throw new Error('Learning rate must be a positive number');
  return {
    preset: ui.preset.value,
    optimizer: ui.optimizer.value as OptimizerKind,
    learningRate,
    epochs: integer(ui.epochs, 'Epochs', 1, 100),
    batchSize: integer(ui.batchSize, 'Batch size', 1, 1024),
    subset: Number(ui.subset.value),
  };
}
