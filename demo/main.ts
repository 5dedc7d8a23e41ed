/**
 * The demo page: train a preset MNIST CNN in the browser with WebGPU, watch its curves,
 * see its predictions on test images and on a digit drawn by hand, save and load weights.
 * The engine is imported from ../src, the same source that runs in Node.
 *
 * This file builds the page's one state object (page.ts), wires each control to its panel
 * module, finds a WebGPU device and loads MNIST:
 *   training-form.ts    the form: preset, optimizer, learning rate, epochs, batch, images
 *   training-panel.ts   Start / Pause / Stop and the run's progress
 *   training-curves.ts  loss and accuracy charts, epoch log
 *   test-grid.ts        test images with predictions
 *   drawing-panel.ts    the drawing pad's input and probabilities
 *   weights-panel.ts    Save weights / Save model (.keras) / Load model… (safetensors, Keras .keras / .h5)
 *   pretrained.ts       Use the pretrained model (the weights shipped in pretrained/)
 *   model.ts            the current model; mnist-download.ts the data
 */
import { createDevice, type Device } from '../src/index.js';
import { DrawingPad } from './drawing-pad.js';
import { buildProbabilityBars, predictDrawing } from './drawing-panel.js';
import { loadMnistFiles } from './mnist-download.js';
import { findPageElements, guarded, setPageState, showError, type DemoPage } from './page.js';
import { buildGrid, showOtherTestImages } from './test-grid.js';
import { fillTrainingForm } from './training-form.js';
import { createCharts, drawCharts, emptyCurves } from './training-curves.js';
import { startTraining, stopTraining, togglePause } from './training-panel.js';
import { GpuSerial } from './training.js';
import { loadWeights, saveKerasModel, saveWeights } from './weights-panel.js';
import { listPretrained, usePretrained } from './pretrained.js';

const elements = findPageElements();
window.addEventListener('error', (event) => showError(elements, event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => showError(elements, event.reason));

const page: DemoPage = {
  elements,
  gpu: new GpuSerial(),
  device: undefined,
  mnistFiles: undefined,
  test: undefined,
  testCount: 10000,
  model: undefined,
  modelPreset: '',
  run: undefined,
  gridOffset: 0,
  charts: createCharts(elements),
  curves: emptyCurves(),
  drawing: {
    // The pad calls back on the next animation frame, once `page` exists.
    pad: new DrawingPad(elements.pad, () => void predictDrawing(page)),
    bars: buildProbabilityBars(elements.bars),
    busy: false,
    pending: false,
  },
};

function wireControls(): void {
  const ui = page.elements;
  ui.clear.addEventListener('click', () => page.drawing.pad.clear());
  ui.start.addEventListener('click', () => void guarded(page, () => startTraining(page)));
  ui.pause.addEventListener('click', () => togglePause(page));
  ui.stop.addEventListener('click', () => stopTraining(page));
  // Saving works during training too (between two chunks), so it leaves the page's state alone.
  ui.save.addEventListener('click', () => void saveWeights(page).catch((error) => showError(ui, error)));
  ui.saveKeras.addEventListener('click', () => void saveKerasModel(page).catch((error) => showError(ui, error)));
  ui.load.addEventListener('change', () => {
    const file = ui.load.files?.[0];
    ui.load.value = '';
    if (file) void guarded(page, () => loadWeights(page, file));
  });
  ui.usePretrained.addEventListener('click', () => void guarded(page, () => usePretrained(page)));
  ui.otherTests.addEventListener('click', () => void showOtherTestImages(page).catch((error) => showError(ui, error)));
  ui.form.addEventListener('submit', (event) => event.preventDefault());
}

function explainNoWebgpu(reason: string): void {
  page.elements.noWebgpuReason.textContent = reason;
  page.elements.noWebgpu.hidden = false;
  page.elements.adapter.textContent = 'No WebGPU';
  setPageState(page, 'no-webgpu');
}

/** Shows the adapter, and the lost device should that happen. */
function showDevice(device: Device): void {
  const ui = page.elements;
  const a = device.adapter;
  ui.adapter.textContent = `${[a.vendor, a.architecture, a.description].filter(Boolean).join(' · ')} — ${a.software ? 'software adapter (runs on the CPU)' : 'hardware adapter'}`;
  ui.adapter.classList.add(a.software ? 'software' : 'hardware');
  ui.adapter.dataset.software = String(a.software);
  void device.gpu.lost.then((info) => {
    if (info.reason !== 'destroyed') showError(ui, new Error(`The GPU device was lost: ${info.message || info.reason}. Reload the page.`));
  });
}

async function main(): Promise<void> {
  wireControls();
  if (!('gpu' in navigator)) {
    explainNoWebgpu(
      window.isSecureContext
        ? 'navigator.gpu is missing: this browser, or its current settings, do not provide WebGPU.'
        : `navigator.gpu is missing because this page is not a secure context (${location.origin}): WebGPU needs https or localhost.`,
    );
    return;
  }
  try {
    page.device = await createDevice();
  } catch (error) {
    explainNoWebgpu(error instanceof Error ? error.message : String(error));
    return;
  }
  showDevice(page.device);
  const { software } = page.device.adapter;
  if (software) page.testCount = 500;
  fillTrainingForm(page.elements, software);
  drawCharts(page);
  setPageState(page, 'loading');
  await Promise.all([loadMnistFiles(page), listPretrained(page)]);
  buildGrid(page);
  page.elements.status.textContent = software
    ? 'Ready. This adapter runs on the CPU: train on a small subset first.'
    : 'Ready.';
  setPageState(page, 'ready');
}

main().catch((error) => {
  showError(page.elements, error);
  page.elements.status.textContent = 'Failed to start: see the message above';
});
