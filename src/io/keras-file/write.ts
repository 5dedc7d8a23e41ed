/**
 * Writing a compiled model as a Keras 3 `.keras` file that `keras.saving.load_model` reads:
 * a zip (stored, as Keras writes it) of
 *
 *   metadata.json     {"keras_version", "date_saved"}: the Keras version whose layout it follows
 *   config.json       toKerasJson's Keras 3 model JSON, plus compile_config with the optimizer,
 *                     the loss (from_logits included) and the metric accuracy
 *   model.weights.h5  layers/<path>/vars/<i> (weights-layout.ts), optimizer/vars/<i>:
 *                     iterations, learning rate, then the optimizer's state (optimizer.ts)
 */
import { zipSync } from 'fflate';
import type { SavableModel } from '../../nn/savable-model.js';
import { toKerasJson } from '../keras-json.js';
import { weightSlots } from '../model-weights.js';
import { encodeHdf5, type H5DatasetSpec, type H5GroupSpec } from './hdf5-write.js';
import { kerasLeadingScalars, kerasStateVariables, kerasTrailingScalars, optimizerToKeras } from './optimizer.js';
import { WEIGHTS_ENTRY } from './read.js';
import { kerasLayerPaths } from './weights-layout.js';
import type { CheckedLoss } from '../../nn/loss.js';

/** The Keras release whose .keras layout this writer follows (and that loaded its files in testing). */
export const KERAS_LAYOUT_VERSION = '3.15.1';

/** A compiled model as the bytes of a .keras file. */
export async function encodeKerasModel(model: SavableModel): Promise<Uint8Array> {
  const training = model.trainingState(); // throws when the model is not compiled
  const { optimizer } = training;
  const config = JSON.parse(toKerasJson(model));
  config.compile_config = {
    optimizer: optimizerToKeras(optimizer.config),
    loss: lossToKeras(training.loss),
    loss_weights: null,
    metrics: ['accuracy'],
    weighted_metrics: null,
    run_eagerly: false,
    steps_per_execution: 1,
    jit_compile: true,
  };

  const count = optimizer.stateShape[1];
  const [values, state] = await Promise.all([model.getWeights(), optimizer.readState()]); // state: (slots, count)
  const paths = kerasLayerPaths(model);
  const layerGroups: Record<string, H5GroupSpec> = {};
  let next = 0;
  model.layers.forEach((layer, i) => {
    const datasets: Record<string, H5DatasetSpec> = {};
    layer.weightSlots.forEach((slot, k) => (datasets[String(k)] = { shape: slot.shape, data: values[next++] }));
    layerGroups[paths[i]] = { groups: { vars: { attrs: { name: layer.name }, datasets } } };
  });

  const trainable = weightSlots(model).filter((s) => s.trainable);
  // Iterations, the learning rate (none under a schedule), the state, any trailing scalars.
  const lead = kerasLeadingScalars(optimizer.config);
  const optimizerVars: Record<string, H5DatasetSpec> = { '0': { shape: [], data: Int32Array.of(training.optimizerSteps) } };
  if (lead === 2) optimizerVars['1'] = { shape: [], data: Float32Array.of((optimizerToKeras(optimizer.config).config as { learning_rate: number }).learning_rate) };
  const stateVariables = kerasStateVariables(optimizer.config, trainable.length);
  stateVariables.forEach(({ slot, weight }, i) => {
    const w = trainable[weight];
    const start = slot * count + w.offset;
    optimizerVars[String(lead + i)] = { shape: w.shape, data: state.slice(start, start + w.elements) };
  });
  kerasTrailingScalars(optimizer.config, training.optimizerSteps).forEach((value, i) => {
    optimizerVars[String(lead + stateVariables.length + i)] = { shape: [], data: Float32Array.of(value) };
  });

  const h5 = await encodeHdf5({
    groups: {
      layers: { groups: layerGroups },
      optimizer: { groups: { vars: { attrs: { name: optimizer.config.kind }, datasets: optimizerVars } } },
      vars: { attrs: { name: model.name } },
    },
  });
  const text = (json: string) => new TextEncoder().encode(json);
  // Keras refuses a learning_rate that Python reads as an int, and JSON.stringify writes 1.0
  // (Adadelta's rate in Keras' mnist_cnn) or a schedule's final 0 as "1" or "0": an integral
  // rate is written with its ".0", as are a schedule's rates and factors (Keras computes a
  // schedule in its initial rate's dtype) and PiecewiseConstantDecay's values.
  const configJson = JSON.stringify(config)
    .replace(/("(?:learning_rate|initial_learning_rate|end_learning_rate|decay_rate|alpha|power|warmup_target)":-?\d+)(?=[,}])/g, '$1.0')
    .replace(/("values":\[)([^\]]*)\]/g, (_, head: string, list: string) => `${head}${list.replace(/(^|,)(-?\d+)(?=,|$)/g, '$1$2.0')}]`);
  return zipSync(
    {
      'metadata.json': text(JSON.stringify({ keras_version: KERAS_LAYOUT_VERSION, date_saved: dateSaved(new Date()) })),
      'config.json': text(configJson),
      [WEIGHTS_ENTRY]: h5,
    },
    { level: 0 },
  );
}

/** Keras' date_saved format: 2026-11-27@12:53:24 (UTC here). */
function dateSaved(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', '@');
}

/** compile's loss as Keras serializes it: a plain name, or the loss object where from_logits or label_smoothing is set. */
function lossToKeras({ name, fromLogits, labelSmoothing }: CheckedLoss): unknown {
  const snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`); // sparseCategoricalCrossentropy → sparse_categorical_crossentropy
  if (!fromLogits && labelSmoothing === 0) return snake;
  const className = name[0].toUpperCase() + name.slice(1);
  const smoothing = name === 'categoricalCrossentropy' ? { label_smoothing: labelSmoothing, axis: -1 } : {};
  return { module: 'keras.losses', class_name: className, config: { name: snake, reduction: 'sum_over_batch_size', from_logits: fromLogits, ...smoothing }, registered_name: null };
}
