/**
 * The page's one state object, `DemoPage`: its elements, the GPU device, the MNIST data, the
 * model, the training run, the charts' curves and the drawing pad. main.ts builds it once and
 * every panel module receives it as an argument; no module keeps state of its own.
 *
 * Also here: the page state shown in `body[data-state]` (which buttons are usable), and error
 * display.
 */
import type { Device, Sequential } from '../src/index.js';
import type { MNIST_FILES } from '../src/data/mnist.js';
import type { LineChart, Series } from './chart.js';
import type { DrawingPad } from './drawing-pad.js';
import type { GpuSerial, LabelledImages, TrainingRun } from './training.js';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

/** Every element of index.html the script reads or writes, found by id. */
export function findPageElements() {
  return {
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
    saveKeras: element<HTMLButtonElement>('save-keras'),
    load: element<HTMLInputElement>('load'),
    loadLabel: element<HTMLLabelElement>('load-label'),
    pretrainedRow: element<HTMLDivElement>('pretrained-row'),
    pretrained: element<HTMLSelectElement>('pretrained'),
    usePretrained: element<HTMLButtonElement>('use-pretrained'),
    modelOrigin: element<HTMLParagraphElement>('model-origin'),
    lossChart: element<HTMLCanvasElement>('loss-chart'),
    accuracyChart: element<HTMLCanvasElement>('accuracy-chart'),
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
}

export type PageElements = ReturnType<typeof findPageElements>;

/** The four MNIST IDX files as downloaded. */
export type MnistFiles = Record<keyof typeof MNIST_FILES, Uint8Array>;

/** What the two charts plot; `epochs` is the x axis' extent (the epochs planned). */
export interface Curves {
  loss: Series['points'];
  accuracy: Series['points'];
  valLoss: Series['points'];
  valAccuracy: Series['points'];
  epochs: number;
}

/** One row of the drawing panel's probability bars: the bar and its figure. */
export interface ProbabilityBar {
  fill: HTMLElement;
  value: HTMLElement;
}

export interface DemoPage {
  readonly elements: PageElements;
  /** Every use of the model's GPU state goes through it, one piece of work at a time. */
  readonly gpu: GpuSerial;
  device: Device | undefined;
  mnistFiles: MnistFiles | undefined;
  test: LabelledImages | undefined;
  /** How many test images the final evaluation uses: all of them on a GPU, fewer on a CPU. */
  testCount: number;
  model: Sequential | undefined;
  /** The preset `model` was built from (names the saved weights file). */
  modelPreset: string;
  run: TrainingRun | undefined;
  /** Index of the first test image in the grid. */
  gridOffset: number;
  readonly charts: { loss: LineChart; accuracy: LineChart };
  readonly curves: Curves;
  readonly drawing: {
    pad: DrawingPad;
    bars: ProbabilityBar[];
    /** A prediction of the drawing is in flight; `pending`: another is wanted after it. */
    busy: boolean;
    pending: boolean;
  };
}

/** What the page is doing, shown as `body[data-state]`; it decides which controls are usable. */
export type PageState = 'starting' | 'no-webgpu' | 'loading' | 'ready' | 'busy' | 'training' | 'paused';

export function setPageState(page: DemoPage, state: PageState): void {
  const ui = page.elements;
  document.body.dataset.state = state;
  const ready = state === 'ready';
  const training = state === 'training' || state === 'paused';
  ui.start.disabled = !ready;
  ui.pause.disabled = !training;
  ui.pause.textContent = state === 'paused' ? 'Resume' : 'Pause';
  ui.stop.disabled = !training;
  for (const field of ui.form.elements) (field as HTMLInputElement).disabled = !ready;
  ui.save.disabled = ui.saveKeras.disabled = !page.model || !(ready || training);
  ui.load.disabled = !ready;
  ui.loadLabel.setAttribute('aria-disabled', String(!ready));
  ui.pretrained.disabled = ui.usePretrained.disabled = !ready || ui.pretrained.options.length === 0;
  ui.otherTests.disabled = !page.test;
}

/** Adds the error's message to the page's list of errors (and logs it). */
export function showError(elements: PageElements, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error(error);
  const item = document.createElement('li');
  item.textContent = message;
  elements.errors.append(item);
  elements.errors.hidden = false;
}

/** Runs a button's action, showing its error on the page and returning to a usable state. */
export async function guarded(page: DemoPage, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    showError(page.elements, error);
    page.elements.status.textContent = 'Failed: see the message above';
  } finally {
    setPageState(page, 'ready');
  }
}
