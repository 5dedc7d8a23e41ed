/**
 * The page's current model: building and compiling one from a preset, running GPU work on it
 * in turn with everything else, evaluating it on the test set.
 */
import { lossForModel, pixelRangeForModel, presets, toPixelRange, type Sequential } from '../src/index.js';
import { MNIST_PIXELS } from './digit.js';
import { formatCount, percent } from './format.js';
import type { DemoPage } from './page.js';
import type { TrainingSettings } from './training-form.js';
import { softmaxRef } from '../src/reference/softmax.js';

/** Runs GPU work on the current model, after any work already queued; skipped if the model changed meanwhile. */
export function withModel<T>(page: DemoPage, work: (m: Sequential) => Promise<T>): Promise<T | undefined> {
  const current = page.model;
  if (!current) return Promise.resolve(undefined);
  return page.gpu.run(async () => (page.model === current ? work(current) : undefined));
}

/**
 * `images` (pixels / 255) as the model takes them: a copy in 0..255 for a model that opens
 * with a Rescaling of raw pixels (a Keras file's), else the same array.
 */
function modelInput(m: Sequential, images: Float32Array): Float32Array {
  return pixelRangeForModel(m) === 255 ? toPixelRange(images.slice(), 255) : images;
}

/**
 * The model's probabilities for `images`, (n, 10): its predictions, or their softmax for a
 * model that outputs logits (a Keras model whose last layer is linear).
 */
export async function predictProbabilities(m: Sequential, images: Float32Array, options?: { batchSize?: number }): Promise<Float32Array> {
  const out = await m.predict(modelInput(m, images), options);
  return m.trainingState().loss.fromLogits ? Float32Array.from(softmaxRef(out, out.length / 10, 10)) : out;
}

/** Replaces the current model with a new, compiled one of the preset the settings name. */
export function newModel(page: DemoPage, settings: Pick<TrainingSettings, 'preset' | 'optimizer' | 'learningRate'>): Promise<Sequential> {
  return replaceModel(page, settings.preset, () => presets[settings.preset]().model, settings);
}

/**
 * Frees the current model's GPU memory, then makes the one `build` returns the page's model,
 * compiled with this optimizer, and shows its summary. `preset` names it in saved weights.
 */
export async function replaceModel(page: DemoPage, preset: string, build: () => Sequential, optimizer: Pick<TrainingSettings, 'optimizer' | 'learningRate'>): Promise<Sequential> {
  const old = page.model;
  page.model = undefined;
  if (old) await page.gpu.run(async () => old.dispose());
  const m = build();
  await m.compile({
    device: page.device!,
    optimizer: { kind: optimizer.optimizer, learningRate: optimizer.learningRate },
    loss: lossForModel(m), // a Keras model may output logits
    metrics: ['accuracy'],
  });
  page.elements.summary.textContent = m.summary();
  page.modelPreset = preset;
  page.model = m;
  return m;
}

/** Evaluates the model on the first `page.testCount` test images and shows its accuracy. */
export async function evaluateTest(page: DemoPage): Promise<void> {
  const { elements: ui, test, testCount } = page;
  ui.status.textContent = `Evaluating on ${formatCount(testCount)} test images…`;
  const result = await withModel(page, (m) => m.evaluate(modelInput(m, test!.images.subarray(0, testCount * MNIST_PIXELS)), test!.labels.subarray(0, testCount), { batchSize: 100 }));
  if (!result) return;
  ui.testAccuracy.textContent = `${percent(result.accuracy)} on ${formatCount(testCount)} images (loss ${result.loss.toFixed(4)})`;
  ui.testAccuracy.dataset.accuracy = String(result.accuracy);
}
