/**
 * The Training curves card: loss and accuracy charts (training per chunk, validation per
 * epoch) and the log of finished epochs.
 */
import { LineChart } from './chart.js';
import { percent } from './format.js';
import type { Curves, DemoPage, PageElements } from './page.js';
import type { ChunkReport, EpochReport } from './training.js';

export function createCharts(ui: PageElements): DemoPage['charts'] {
  return {
    loss: new LineChart(ui.lossChart, { xLabel: 'epoch' }),
    accuracy: new LineChart(ui.accuracyChart, { xLabel: 'epoch', yMin: 0, yMax: 1, formatY: (v) => `${Math.round(v * 100)}%` }),
  };
}

export function emptyCurves(): Curves {
  return { loss: [], accuracy: [], valLoss: [], valAccuracy: [], epochs: 1 };
}

export function drawCharts(page: DemoPage): void {
  const { charts, curves } = page;
  charts.loss.update(
    [
      { name: 'training loss', color: '#2563eb', points: curves.loss },
      { name: 'validation loss', color: '#ea580c', points: curves.valLoss, markers: true },
    ],
    curves.epochs,
  );
  charts.accuracy.update(
    [
      { name: 'training accuracy', color: '#2563eb', points: curves.accuracy },
      { name: 'validation accuracy', color: '#ea580c', points: curves.valAccuracy, markers: true },
    ],
    curves.epochs,
  );
}

/** Empties the charts and the epoch log; the x axes now span `epochs`. */
export function resetCharts(page: DemoPage, epochs: number): void {
  const { curves } = page;
  for (const list of [curves.loss, curves.accuracy, curves.valLoss, curves.valAccuracy]) list.length = 0;
  curves.epochs = epochs;
  page.elements.epochLog.replaceChildren();
  drawCharts(page);
}

export function plotChunk(page: DemoPage, r: ChunkReport): void {
  page.curves.loss.push({ x: r.position, y: r.loss });
  page.curves.accuracy.push({ x: r.position, y: r.accuracy });
  drawCharts(page);
}

/** Plots the epoch's validation figures and adds its line to the epoch log. */
export function plotEpoch(page: DemoPage, r: EpochReport): void {
  page.curves.valLoss.push({ x: r.epoch + 1, y: r.valLoss });
  page.curves.valAccuracy.push({ x: r.epoch + 1, y: r.valAccuracy });
  drawCharts(page);
  const item = document.createElement('li');
  item.textContent = `loss ${r.loss.toFixed(4)}, accuracy ${percent(r.accuracy)}; validation loss ${r.valLoss.toFixed(4)}, accuracy ${percent(r.valAccuracy)}`;
  Object.assign(item.dataset, { loss: r.loss, accuracy: r.accuracy, valLoss: r.valLoss, valAccuracy: r.valAccuracy });
  page.elements.epochLog.append(item);
}
