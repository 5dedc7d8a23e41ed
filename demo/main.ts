/**
 * The demo page: train a preset MNIST CNN in the browser with WebGPU, watch its curves,
 * see its predictions on test images and on a digit drawn by hand, save and load weights.
 * The engine is imported from ../src, the same source that runs in Node.
 */
import { createDevice, mnistFromBuffers, optimizers, presets, presetNames, type Device, type OptimizerKind, type Sequential } from '../src/index.js';
import { MNIST_FILES } from '../src/data/mnist.js';
import { withDefaults } from '../src/nn/optimizers.js';
import { LineChart, type Series } from './chart.js';
import { MNIST_SIDE, mnistInputFromDrawing } from './digit.js';
import { DrawingPad } from './drawing-pad.js';
import { GpuSerial, TrainingRun, type ChunkReport, type EpochReport, type LabelledImages } from './training.js';
import { decodeWeightsFile, encodeWeights, presetForWeights, weightsFor } from './weights-file.js';

const SUBSETS = [256, 1024, 4096, 16384, 54000];
/** The training set's last 6,000 images are the validation pool (Keras' validation_split 0.1). */
const TRAIN_POOL = 54000;
const GRID_SIZE = 40;
const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  adapter: element<HTMLParagraphElement>('adapter'),
  errors: element<HTMLUListElement>('errors'),
  noWebgpu: element<HTMLElement>('no-webgpu'),
  noWebgpuReason: element<HTMLParagraphElement>('no-webgpu-reason'),
  preset: element<HTMLSelectElement>('preset'),
  optimizer: element<HTMLSelectElement>('optimizer'),
  learningRate: element<HTMLInputElement>('learning-rate'),
  epochs: element<HTMLInputElement>('epochs'),
  batchSize: element<HTMLInputElement>('batch-size'),
  subset: element<HTMLSelectElement>('subset'),
  form: element<HTMLFormElement>('train-form'),
  presetDescription: element<HTMLParagraphElement>('preset-description'),
  start: element<HTMLButtonElement>('start'),
  pause: element<HTMLButtonElement>('pause'),
  stop: element<HTMLButtonElement>('stop'),
  progress: element<HTMLProgressElement>('progress'),
  status: element<HTMLElement>('status'),
  speed: element<HTMLElement>('speed'),
  eta: element<HTMLElement>('eta'),
  testAccuracy: element<HTMLElement>('test-accuracy'),
  save: element<HTMLButtonElement>('save'),
  load: element<HTMLInputElement>('load'),
  loadLabel: element<HTMLLabelElement>('load-label'),
  modelOrigin: element<HTMLParagraphElement>('model-origin'),
  epochLog: element<HTMLOListElement>('epoch-log'),
  pad: element<HTMLCanvasElement>('pad'),
  padInput: element<HTMLCanvasElement>('pad-input'),
  clear: element<HTMLButtonElement>('clear'),
  drawResult: element<HTMLParagraphElement>('draw-result'),
  bars: element<HTMLDivElement>('bars'),
  otherTests: element<HTMLButtonElement>('other-tests'),
  gridSummary: element<HTMLParagraphElement>('grid-summary'),
  testGrid: element<HTMLDivElement>('test-grid'),
  summary: element<HTMLPreElement>('summary'),
};

// ---- Page state -------------------------------------------------------------------------

type PageState = 'starting' | 'no-webgpu' | 'loading' | 'ready' | 'busy' | 'training' | 'paused';

const gpu = new GpuSerial();
let device: Device | undefined;
let mnistFiles: Record<keyof typeof MNIST_FILES, Uint8Array> | undefined;
let test: LabelledImages | undefined;
/** How many test images the final evaluation uses: all of them on a GPU, fewer on a CPU. */
let testCount = 10000;
let model: Sequential | undefined;
let modelPreset = '';
let run: TrainingRun | undefined;
let gridOffset = 0;

function setState(state: PageState): void {
  document.body.dataset.state = state;
  const ready = state === 'ready';
  const training = state === 'training' || state === 'paused';
  ui.start.disabled = !ready;
  ui.pause.disabled = !training;
  ui.pause.textContent = state === 'paused' ? 'Resume' : 'Pause';
  ui.stop.disabled = !training;
  for (const field of ui.form.elements) (field as HTMLInputElement).disabled = !ready;
  ui.save.disabled = !model || !(ready || training);
  ui.load.disabled = !ready;
  ui.loadLabel.setAttribute('aria-disabled', String(!ready));
  ui.otherTests.disabled = !test;
}

function showError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(error);
  const item = document.createElement('li');
  item.textContent = message;
  ui.errors.append(item);
  ui.errors.hidden = false;
}

window.addEventListener('error', (event) => showError(event.error ?? event.message));
window.addEventListener('unhandledrejection', (event) => showError(event.reason));

/** Runs a button's action, showing its error on the page and returning to a usable state. */
async function guarded(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    showError(error);
    ui.status.textContent = 'Failed: see the message above';
  } finally {
    setState('ready');
  }
}

// ---- Formatting -------------------------------------------------------------------------

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;
const count = (n: number) => n.toLocaleString('en-US');

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}:${String(s % 60).padStart(2, '0')}` : `${s} s`;
}

// ---- The form ---------------------------------------------------------------------------

function fillForm(software: boolean): void {
  for (const name of presetNames) ui.preset.add(new Option(name, name));
  for (const kind of Object.keys(optimizers)) ui.optimizer.add(new Option(kind, kind));
  for (const n of SUBSETS) ui.subset.add(new Option(n === TRAIN_POOL ? `${count(n)} (all)` : count(n), String(n)));
  ui.preset.addEventListener('change', () => applyPreset(ui.preset.value, software));
  ui.optimizer.addEventListener('change', () => {
    ui.learningRate.value = String(withDefaults({ kind: ui.optimizer.value as OptimizerKind }).learningRate);
  });
  // The first model `npm start` trains: mnist-conv3 with Adam.
  ui.preset.value = 'mnist-conv3';
  applyPreset('mnist-conv3', software);
  ui.optimizer.value = 'adam';
  ui.learningRate.value = String(withDefaults({ kind: 'adam' }).learningRate);
  // A software adapter runs on the CPU, about a hundred times slower than a GPU.
  ui.subset.value = String(software ? 1024 : TRAIN_POOL);
}

function applyPreset(name: string, software: boolean): void {
  const preset = presets[name]();
  ui.optimizer.value = preset.optimizer.kind;
  ui.learningRate.value = String(withDefaults(preset.optimizer).learningRate);
  ui.epochs.value = String(software ? Math.min(preset.fit.epochs, 3) : preset.fit.epochs);
  ui.batchSize.value = String(preset.fit.batchSize);
  ui.presetDescription.textContent = `${preset.description}. Keras' settings: batch ${preset.fit.batchSize}, ${preset.fit.epochs} epochs` +
    (preset.kerasTestAccuracy ? `, ${percent(preset.kerasTestAccuracy)} test accuracy.` : '.');
  ui.summary.textContent = preset.model.summary();
}

interface TrainingSettings {
  preset: string;
  optimizer: OptimizerKind;
  learningRate: number;
  epochs: number;
  batchSize: number;
  subset: number;
}

function readForm(): TrainingSettings {
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

// ---- Device and data --------------------------------------------------------------------

function explainNoWebgpu(reason: string): void {
  ui.noWebgpuReason.textContent = reason;
  ui.noWebgpu.hidden = false;
  ui.adapter.textContent = 'No WebGPU';
  setState('no-webgpu');
}

async function fetchBytes(name: string, onBytes: (n: number) => void): Promise<Uint8Array> {
  const response = await fetch(`mnist/${name}`);
  if (!response.ok || !response.body) throw new Error(`Cannot load MNIST file ${name}: HTTP ${response.status} ${response.statusText}`);
  const parts: Uint8Array[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.byteLength;
    onBytes(value.byteLength);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return bytes;
}

async function loadMnistFiles(): Promise<void> {
  let loaded = 0;
  const show = () => (ui.status.textContent = `Loading MNIST: ${(loaded / 1e6).toFixed(1)} MB`);
  show();
  const onBytes = (n: number) => {
    loaded += n;
    show();
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [MNIST_FILES.trainImages, MNIST_FILES.trainLabels, MNIST_FILES.testImages, MNIST_FILES.testLabels].map((f) => fetchBytes(f, onBytes)),
  );
  mnistFiles = { trainImages, trainLabels, testImages, testLabels };
  // The test set is converted now (the grid needs it); training images when training starts.
  const mnist = mnistFromBuffers(trainImages, trainLabels, testImages, testLabels, { limit: 1 });
  test = mnist.test;
  testCount = Math.min(testCount, test.count);
}

/** The first `n` training images, and the validation images (from the last 6,000). */
function trainingData(n: number): { train: LabelledImages; validation: LabelledImages } {
  const files = mnistFiles!;
  const validationCount = Math.min(6000, Math.max(64, Math.round(n / 9)));
  const all = mnistFromBuffers(files.trainImages, files.trainLabels, files.testImages, files.testLabels, { limit: TRAIN_POOL + validationCount, testLimit: 1 }).train;
  const slice = (from: number, to: number): LabelledImages => ({
    images: all.images.subarray(from * MNIST_PIXELS, to * MNIST_PIXELS),
    labels: all.labels.subarray(from, to),
    count: to - from,
  });
  return { train: slice(0, n), validation: slice(TRAIN_POOL, TRAIN_POOL + validationCount) };
}

// ---- The model --------------------------------------------------------------------------

/** Runs GPU work on the current model, after any work already queued; skipped if the model changed meanwhile. */
function withModel<T>(work: (m: Sequential) => Promise<T>): Promise<T | undefined> {
  const current = model;
  if (!current) return Promise.resolve(undefined);
  return gpu.run(async () => (model === current ? work(current) : undefined));
}

async function newModel(settings: Pick<TrainingSettings, 'preset' | 'optimizer' | 'learningRate'>): Promise<Sequential> {
  const old = model;
  model = undefined;
  if (old) await gpu.run(async () => old.dispose());
  const m = presets[settings.preset]().model;
  await m.compile({
    device: device!,
    optimizer: { kind: settings.optimizer, learningRate: settings.learningRate },
    loss: 'categoricalCrossentropy',
    metrics: ['accuracy'],
  });
  ui.summary.textContent = m.summary();
  modelPreset = settings.preset;
  model = m;
  return m;
}

async function evaluateTest(): Promise<void> {
  ui.status.textContent = `Evaluating on ${count(testCount)} test images…`;
  const result = await withModel((m) => m.evaluate(test!.images.subarray(0, testCount * MNIST_PIXELS), test!.labels.subarray(0, testCount), { batchSize: 100 }));
  if (!result) return;
  ui.testAccuracy.textContent = `${percent(result.accuracy)} on ${count(testCount)} images (loss ${result.loss.toFixed(4)})`;
  ui.testAccuracy.dataset.accuracy = String(result.accuracy);
}

// ---- Charts -----------------------------------------------------------------------------

const lossChart = new LineChart(element('loss-chart'), { xLabel: 'epoch' });
const accuracyChart = new LineChart(element('accuracy-chart'), { xLabel: 'epoch', yMin: 0, yMax: 1, formatY: (v) => `${Math.round(v * 100)}%` });
const curves = {
  loss: [] as Series['points'],
  accuracy: [] as Series['points'],
  valLoss: [] as Series['points'],
  valAccuracy: [] as Series['points'],
  epochs: 1,
};

function drawCharts(): void {
  lossChart.update(
    [
      { name: 'training loss', color: '#2563eb', points: curves.loss },
      { name: 'validation loss', color: '#ea580c', points: curves.valLoss, markers: true },
    ],
    curves.epochs,
  );
  accuracyChart.update(
    [
      { name: 'training accuracy', color: '#2563eb', points: curves.accuracy },
      { name: 'validation accuracy', color: '#ea580c', points: curves.valAccuracy, markers: true },
    ],
    curves.epochs,
  );
}

function resetCharts(epochs: number): void {
  for (const list of [curves.loss, curves.accuracy, curves.valLoss, curves.valAccuracy]) list.length = 0;
  curves.epochs = epochs;
  ui.epochLog.replaceChildren();
  drawCharts();
}

// ---- Training ---------------------------------------------------------------------------

function onChunk(r: ChunkReport): void {
  curves.loss.push({ x: r.position, y: r.loss });
  curves.accuracy.push({ x: r.position, y: r.accuracy });
  drawCharts();
  ui.progress.value = r.samplesDone / r.samplesTotal;
  if (run?.state === 'running') ui.status.textContent = `Epoch ${r.epoch + 1} of ${curves.epochs}: loss ${r.loss.toFixed(4)}, accuracy ${percent(r.accuracy)}`;
  ui.speed.textContent = r.samplesPerSecond ? `${count(Math.round(r.samplesPerSecond))} images/s` : 'measuring…';
  ui.speed.dataset.samplesPerSecond = String(r.samplesPerSecond ?? '');
  ui.eta.textContent = r.etaSeconds === undefined ? '–' : clock(r.etaSeconds);
}

async function onEpochEnd(r: EpochReport): Promise<void> {
  curves.valLoss.push({ x: r.epoch + 1, y: r.valLoss });
  curves.valAccuracy.push({ x: r.epoch + 1, y: r.valAccuracy });
  drawCharts();
  const item = document.createElement('li');
  item.textContent = `loss ${r.loss.toFixed(4)}, accuracy ${percent(r.accuracy)}; validation loss ${r.valLoss.toFixed(4)}, accuracy ${percent(r.valAccuracy)}`;
  Object.assign(item.dataset, { loss: r.loss, accuracy: r.accuracy, valLoss: r.valLoss, valAccuracy: r.valAccuracy });
  ui.epochLog.append(item);
  await Promise.all([predictGrid(), predictDrawing()]);
}

async function startTraining(): Promise<void> {
  const settings = readForm();
  setState('busy');
  resetCharts(settings.epochs);
  ui.progress.value = 0;
  ui.speed.textContent = ui.eta.textContent = ui.testAccuracy.textContent = '–';
  delete ui.testAccuracy.dataset.accuracy;
  ui.status.textContent = `Compiling ${settings.preset}…`;
  const m = await newModel(settings);
  const { train, validation } = trainingData(settings.subset);
  ui.modelOrigin.textContent = `${settings.preset}, training on ${count(train.count)} images (validation: ${count(validation.count)} others), batch ${settings.batchSize}, ${settings.optimizer} learning rate ${settings.learningRate}.`;
  await predictGrid();
  ui.status.textContent = 'Training: compiling the step…';
  run = new TrainingRun(m, train, validation, { epochs: settings.epochs, batchSize: settings.batchSize, seed: 1 }, gpu, { onChunk, onEpochEnd });
  setState('training');
  const finished = await run.run().finally(() => (run = undefined));
  setState('busy');
  ui.eta.textContent = '–';
  await evaluateTest();
  await warmUpDrawing();
  ui.status.textContent = finished ? `Done: ${settings.epochs} epoch(s)` : `Stopped after ${curves.valLoss.length} full epoch(s)`;
  ui.progress.value = finished ? 1 : ui.progress.value;
}

function togglePause(): void {
  if (!run) return;
  if (run.state === 'running') {
    const current = run;
    setState('paused');
    ui.status.textContent = 'Pausing…';
    void current.pause().then(() => {
      if (current.state === 'paused') ui.status.textContent = 'Paused';
    });
  } else {
    run.resume();
    setState('training');
    ui.status.textContent = 'Resuming…';
  }
}

function stopTraining(): void {
  if (!run) return;
  run.stop();
  ui.pause.disabled = ui.stop.disabled = true;
  ui.status.textContent = 'Stopping…';
}

// ---- Weights files ----------------------------------------------------------------------

async function saveWeights(): Promise<void> {
  const metadata: Record<string, string> = { preset: modelPreset };
  if (ui.testAccuracy.dataset.accuracy) metadata.test_accuracy = ui.testAccuracy.dataset.accuracy;
  const bytes = await withModel((m) => encodeWeights(m, metadata));
  if (!bytes) return;
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = `${modelPreset}.safetensors`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

async function loadWeights(file: File): Promise<void> {
  setState('busy');
  ui.status.textContent = `Reading ${file.name}…`;
  const weights = decodeWeightsFile(new Uint8Array(await file.arrayBuffer()), file.name);
  const preset = presetForWeights(weights);
  if (ui.preset.value !== preset) {
    ui.preset.value = preset;
    applyPreset(preset, device!.adapter.software);
  }
  const settings = readForm();
  ui.status.textContent = `Compiling ${preset}…`;
  const m = await newModel(settings);
  await gpu.run(async () => m.setWeights(weightsFor(m, weights)));
  resetCharts(1);
  ui.progress.value = 0;
  ui.speed.textContent = ui.eta.textContent = '–';
  ui.modelOrigin.textContent = `${preset}, weights loaded from ${file.name}.`;
  await Promise.all([predictGrid(), predictDrawing()]);
  await evaluateTest();
  await warmUpDrawing();
  ui.status.textContent = `Loaded ${file.name}`;
}

// ---- Test grid --------------------------------------------------------------------------

function paintDigit(canvas: HTMLCanvasElement, pixels: Float32Array): void {
  const ctx = canvas.getContext('2d')!;
  const image = ctx.createImageData(MNIST_SIDE, MNIST_SIDE);
  for (let i = 0; i < MNIST_PIXELS; i++) {
    const v = Math.round(255 * pixels[i]);
    image.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(image, 0, 0);
}

function buildGrid(): void {
  const cells = [];
  for (let k = 0; k < GRID_SIZE; k++) {
    const i = (gridOffset + k) % test!.count;
    const cell = document.createElement('figure');
    cell.className = 'cell';
    cell.dataset.label = String(test!.labels[i]);
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = MNIST_SIDE;
    paintDigit(canvas, test!.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS));
    const caption = document.createElement('figcaption');
    caption.textContent = '·';
    cell.append(canvas, caption);
    cells.push(cell);
  }
  ui.testGrid.replaceChildren(...cells);
}

async function predictGrid(): Promise<void> {
  if (!test) return;
  const images = new Float32Array(GRID_SIZE * MNIST_PIXELS);
  for (let k = 0; k < GRID_SIZE; k++) {
    const i = (gridOffset + k) % test.count;
    images.set(test.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), k * MNIST_PIXELS);
  }
  const probabilities = await withModel((m) => m.predict(images, { batchSize: GRID_SIZE }));
  if (!probabilities) return;
  let mistakes = 0;
  [...ui.testGrid.children].forEach((cell, k) => {
    const row = probabilities.subarray(k * 10, (k + 1) * 10);
    const predicted = argmax(row);
    const label = Number((cell as HTMLElement).dataset.label);
    const wrong = predicted !== label;
    mistakes += wrong ? 1 : 0;
    (cell as HTMLElement).dataset.predicted = String(predicted);
    cell.classList.toggle('wrong', wrong);
    cell.querySelector('figcaption')!.textContent = wrong ? `${predicted} (is ${label})` : `${predicted}`;
    cell.setAttribute('title', `predicted ${predicted} with ${percent(row[predicted])}; label ${label}`);
  });
  ui.gridSummary.textContent = `Test images ${count(gridOffset + 1)}–${count(gridOffset + GRID_SIZE)}: ${GRID_SIZE - mistakes} of ${GRID_SIZE} right; mistakes in red.`;
  ui.testGrid.dataset.updates = String(Number(ui.testGrid.dataset.updates ?? 0) + 1);
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

// ---- Drawing ----------------------------------------------------------------------------

const barFills: HTMLElement[] = [];
const barValues: HTMLElement[] = [];

function buildBars(): void {
  for (let digit = 0; digit < 10; digit++) {
    const row = document.createElement('div');
    row.className = 'bar';
    row.dataset.digit = String(digit);
    const name = document.createElement('span');
    name.textContent = String(digit);
    const track = document.createElement('div');
    track.className = 'track';
    const fill = document.createElement('div');
    fill.className = 'fill';
    track.append(fill);
    const value = document.createElement('span');
    value.className = 'value';
    value.textContent = '–';
    row.append(name, track, value);
    ui.bars.append(row);
    barFills.push(fill);
    barValues.push(value);
  }
}

function showBars(probabilities: Float32Array | undefined): void {
  const top = probabilities ? argmax(probabilities) : -1;
  [...ui.bars.children].forEach((row, digit) => {
    const p = probabilities?.[digit];
    row.classList.toggle('top', digit === top);
    if (p === undefined) delete (row as HTMLElement).dataset.p;
    else (row as HTMLElement).dataset.p = String(p);
    barFills[digit].style.width = p === undefined ? '0' : `${(100 * p).toFixed(1)}%`;
    barValues[digit].textContent = p === undefined ? '–' : percent(p);
  });
}

const pad = new DrawingPad(ui.pad, () => void predictDrawing());
let drawingBusy = false;
let drawingPending = false;

/** Shows what the model sees and, one prediction at a time, what it makes of it. */
async function predictDrawing(): Promise<void> {
  const { grey, width, height } = pad.grey();
  const input = mnistInputFromDrawing(grey, width, height);
  paintDigit(ui.padInput, input ?? new Float32Array(MNIST_PIXELS));
  if (!input || !model) {
    showBars(undefined);
    ui.drawResult.textContent = input
      ? 'Train a model or load weights to see what it makes of your digit.'
      : 'Draw a digit from 0 to 9 in the black square.';
    return;
  }
  if (drawingBusy) {
    drawingPending = true;
    return;
  }
  drawingBusy = true;
  try {
    const probabilities = await withModel((m) => m.predict(input));
    // Shown even if the drawing grew meanwhile (the next prediction follows), not after a clear.
    if (probabilities && pad.hasInk) {
      showBars(probabilities);
      const top = argmax(probabilities);
      ui.drawResult.textContent = `The model reads a ${top} (${percent(probabilities[top])}).`;
    }
  } finally {
    drawingBusy = false;
    if (drawingPending) {
      drawingPending = false;
      void predictDrawing();
    }
  }
}

/** Compiles the one-image prediction step ahead of the first drawing. */
async function warmUpDrawing(): Promise<void> {
  await withModel((m) => m.predict(new Float32Array(MNIST_PIXELS)));
}

// ---- Start-up ---------------------------------------------------------------------------

async function main(): Promise<void> {
  buildBars();
  ui.clear.addEventListener('click', () => pad.clear());
  ui.start.addEventListener('click', () => void guarded(startTraining));
  ui.pause.addEventListener('click', togglePause);
  ui.stop.addEventListener('click', stopTraining);
  // Saving works during training too (between two chunks), so it leaves the page's state alone.
  ui.save.addEventListener('click', () => void saveWeights().catch(showError));
  ui.load.addEventListener('change', () => {
    const file = ui.load.files?.[0];
    ui.load.value = '';
    if (file) void guarded(() => loadWeights(file));
  });
  ui.otherTests.addEventListener('click', () => {
    gridOffset = (gridOffset + GRID_SIZE) % test!.count;
    buildGrid();
    void predictGrid().catch(showError);
  });
  ui.form.addEventListener('submit', (event) => event.preventDefault());

  if (!('gpu' in navigator)) {
    explainNoWebgpu(
      window.isSecureContext
        ? 'navigator.gpu is missing: this browser, or its current settings, do not provide WebGPU.'
        : `navigator.gpu is missing because this page is not a secure context (${location.origin}): WebGPU needs https or localhost.`,
    );
    return;
  }
  try {
    device = await createDevice();
  } catch (error) {
    explainNoWebgpu(error instanceof Error ? error.message : String(error));
    return;
  }
  const a = device.adapter;
  ui.adapter.textContent = `${[a.vendor, a.architecture, a.description].filter(Boolean).join(' · ')} — ${a.software ? 'software adapter (runs on the CPU)' : 'hardware adapter'}`;
  ui.adapter.classList.add(a.software ? 'software' : 'hardware');
  ui.adapter.dataset.software = String(a.software);
  void device.gpu.lost.then((info) => {
    if (info.reason !== 'destroyed') showError(new Error(`The GPU device was lost: ${info.message || info.reason}. Reload the page.`));
  });
  if (a.software) testCount = 500;
  fillForm(a.software);
  drawCharts();
  setState('loading');
  await loadMnistFiles();
  buildGrid();
  ui.status.textContent = a.software
    ? 'Ready. This adapter runs on the CPU: train on a small subset first.'
    : 'Ready.';
  setState('ready');
}

main().catch((error) => {
  showError(error);
  ui.status.textContent = 'Failed to start: see the message above';
});
