/**
 * The Train card's run: Start builds a fresh model from the form and trains it (training.ts'
 * `TrainingRun`, chunk by chunk), Pause/Resume and Stop act on the run. Progress, status,
 * speed and time left follow each chunk; the charts, test grid and drawing follow each epoch.
 */
import { predictDrawing, warmUpDrawing } from './drawing-panel.js';
import { clock, formatCount, percent } from './format.js';
import { trainingData } from './mnist-download.js';
import { evaluateTest, newModel } from './model.js';
import { setPageState, type DemoPage } from './page.js';
import { predictGrid } from './test-grid.js';
import { readTrainingForm } from './training-form.js';
import { plotChunk, plotEpoch, resetCharts } from './training-curves.js';
import { TrainingRun, type ChunkReport, type EpochReport } from './training.js';

function showChunk(page: DemoPage, r: ChunkReport): void {
  const ui = page.elements;
  plotChunk(page, r);
  ui.progress.value = r.samplesDone / r.samplesTotal;
  if (page.run?.state === 'running') ui.status.textContent = `Epoch ${r.epoch + 1} of ${page.curves.epochs}: loss ${r.loss.toFixed(4)}, accuracy ${percent(r.accuracy)}`;
  ui.speed.textContent = r.samplesPerSecond ? `${formatCount(Math.round(r.samplesPerSecond))} images/s` : 'measuring…';
  ui.speed.dataset.samplesPerSecond = String(r.samplesPerSecond ?? '');
  ui.eta.textContent = r.etaSeconds === undefined ? '–' : clock(r.etaSeconds);
}

async function showEpoch(page: DemoPage, r: EpochReport): Promise<void> {
  plotEpoch(page, r);
  await Promise.all([predictGrid(page), predictDrawing(page)]);
}

/** Start training: a new model from the form's settings, trained until done or stopped, then tested. */
export async function startTraining(page: DemoPage): Promise<void> {
  const ui = page.elements;
  const settings = readTrainingForm(ui);
  setPageState(page, 'busy');
  resetCharts(page, settings.epochs);
  ui.progress.value = 0;
  ui.speed.textContent = ui.eta.textContent = ui.testAccuracy.textContent = '–';
  delete ui.testAccuracy.dataset.accuracy;
  ui.status.textContent = `Compiling ${settings.preset}…`;
  const m = await newModel(page, settings);
  const { train, validation } = trainingData(page, settings.subset);
  ui.modelOrigin.textContent = `${settings.preset}, training on ${formatCount(train.count)} images (validation: ${formatCount(validation.count)} others), batch ${settings.batchSize}, ${settings.optimizer} learning rate ${settings.learningRate}.`;
  await predictGrid(page);
  ui.status.textContent = 'Training: compiling the step…';
  page.run = new TrainingRun(m, train, validation, { epochs: settings.epochs, batchSize: settings.batchSize, seed: 1 }, page.gpu, {
    onChunk: (r) => showChunk(page, r),
    onEpochEnd: (r) => showEpoch(page, r),
  });
  setPageState(page, 'training');
  const finished = await page.run.run().finally(() => (page.run = undefined));
  setPageState(page, 'busy');
  ui.eta.textContent = '–';
  await evaluateTest(page);
  await warmUpDrawing(page);
  ui.status.textContent = finished ? `Done: ${settings.epochs} epoch(s)` : `Stopped after ${page.curves.valLoss.length} full epoch(s)`;
  ui.progress.value = finished ? 1 : ui.progress.value;
}

/** Pause, or Resume when paused. */
export function togglePause(page: DemoPage): void {
  const { run, elements: ui } = page;
  if (!run) return;
  if (run.state === 'running') {
    setPageState(page, 'paused');
    ui.status.textContent = 'Pausing…';
    void run.pause().then(() => {
      if (run.state === 'paused') ui.status.textContent = 'Paused';
    });
  } else {
    run.resume();
    setPageState(page, 'training');
    ui.status.textContent = 'Resuming…';
  }
}

/** Stop: the run ends after its current chunk; the model keeps what it has learnt. */
export function stopTraining(page: DemoPage): void {
  const { run, elements: ui } = page;
  if (!run) return;
  run.stop();
  ui.pause.disabled = ui.stop.disabled = true;
  ui.status.textContent = 'Stopping…';
}
