/**
 * The Train card's Save weights, Save model (.keras) and Load model… buttons. A load of a weights file runs in three
 * steps, each its own function:
 *   1. read the file into named tensors (weights-file.ts: safetensors, Keras names);
 *   2. build and compile the preset those tensors fit, and give it the weights;
 *   3. show the model: fresh charts, its predictions on the grid and the drawing, its test accuracy.
 * A Keras .keras or .h5 file (architecture and weights) replaces steps 1 and 2 with its reader
 * and model.ts' `replaceModel`, then shows the model the same way.
 */
import { predictDrawing, warmUpDrawing } from './drawing-panel.js';
import { evaluateTest, newModel, replaceModel, withModel } from './model.js';
import { setPageState, type DemoPage } from './page.js';
import { predictGrid } from './test-grid.js';
import { applyPreset, readTrainingForm } from './training-form.js';
import { resetCharts } from './training-curves.js';
import { decodeWeightsFile, encodeWeights, presetForWeights, weightsFor, type WeightsFile } from './weights-file.js';
import { decodeKerasModel } from '../src/io/keras-file/read.js';
import { encodeKerasModel } from '../src/io/keras-file/write.js';
import { MNIST_PIXELS } from './digit.js';

/** Save weights: the current model's weights as `<preset>.safetensors`, with its test accuracy if measured. */
export async function saveWeights(page: DemoPage): Promise<void> {
  const metadata: Record<string, string> = { preset: page.modelPreset };
  const { accuracy } = page.elements.testAccuracy.dataset;
  if (accuracy) metadata.test_accuracy = accuracy;
  const bytes = await withModel(page, (m) => encodeWeights(m, metadata));
  if (!bytes) return;
  download(bytes, `${page.modelPreset}.safetensors`);
}

/** Save model (.keras): the current model as a Keras 3 file (architecture, weights, optimizer), `<name>.keras`. */
export async function saveKerasModel(page: DemoPage): Promise<void> {
  const bytes = await withModel(page, (m) => encodeKerasModel(m));
  if (!bytes) return;
  download(bytes, `${page.modelPreset}.keras`);
}

/** Has the browser save `bytes` as a file named `fileName`. */
function download(bytes: Uint8Array, fileName: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Load model…: a Keras model file, or a weights file and the preset its weights fit. */
export async function loadWeights(page: DemoPage, file: File): Promise<void> {
  setPageState(page, 'busy');
  page.elements.status.textContent = `Reading ${file.name}…`;
  if (/\.(keras|h5)$/.test(file.name)) {
    await loadKerasModel(page, file);
    return;
  }
  await loadWeightsBytes(page, new Uint8Array(await file.arrayBuffer()), file.name, `weights loaded from ${file.name}`);
}

/**
 * A safetensors weights file's bytes: the preset they fit, compiled, given them and shown;
 * the model's origin reads `<preset>, <source>.`
 */
export async function loadWeightsBytes(page: DemoPage, bytes: Uint8Array, name: string, source: string): Promise<void> {
  const weights = decodeWeightsFile(bytes, name);
  const preset = presetForWeights(weights);
  await modelWithWeights(page, preset, weights);
  await showLoadedModel(page, `${preset}, ${source}.`, name);
}

/** A .keras or .h5 file: its own architecture and weights, compiled with the form's optimizer (for training on). */
async function loadKerasModel(page: DemoPage, file: File): Promise<void> {
  const model = decodeKerasModel(new Uint8Array(await file.arrayBuffer()), file.name);
  const pixels = model.inputShape.reduce((a, b) => a * b, 1);
  if (pixels !== MNIST_PIXELS || model.outputShape[0] !== 10) {
    throw new Error(`${file.name}: the model takes [${model.inputShape}] and gives ${model.outputShape[0]} classes; this page needs MNIST's 28×28 images (or 784 values) and 10 classes`);
  }
  page.elements.status.textContent = `Compiling ${file.name}…`;
  await replaceModel(page, file.name.replace(/\.(keras|h5)$/, ''), () => model, readTrainingForm(page.elements));
  await showLoadedModel(page, `${model.name}, a Keras model (${model.countParams().toLocaleString('en')} parameters) loaded from ${file.name}.`, file.name);
}

/** Selects `preset` in the form (with its settings), compiles it afresh and sets its weights from `weights`. */
async function modelWithWeights(page: DemoPage, preset: string, weights: WeightsFile): Promise<void> {
  const ui = page.elements;
  if (ui.preset.value !== preset) {
    ui.preset.value = preset;
    applyPreset(ui, preset, page.device!.adapter.software);
  }
  const settings = readTrainingForm(ui);
  ui.status.textContent = `Compiling ${preset}…`;
  const m = await newModel(page, settings);
  await page.gpu.run(async () => m.setWeights(weightsFor(m, weights)));
}

/**
 * Shows a model that came from a file rather than from training: empty charts, `origin` under
 * the buttons, its predictions and its test accuracy; `fileName` goes on the status line.
 */
export async function showLoadedModel(page: DemoPage, origin: string, fileName: string): Promise<void> {
  const ui = page.elements;
  resetCharts(page, 1);
  ui.progress.value = 0;
  ui.speed.textContent = ui.eta.textContent = '–';
  ui.modelOrigin.textContent = origin;
  await Promise.all([predictGrid(page), predictDrawing(page)]);
  await evaluateTest(page);
  await warmUpDrawing(page);
  ui.status.textContent = `Loaded ${fileName}`;
}
