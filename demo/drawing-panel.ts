/**
 * The Draw a digit card: what the model sees of the drawing (28×28) and, one prediction at a
 * time, the ten probabilities it gives, as bars.
 */
import { argmax } from '../src/reference/softmax.js';
import { paintDigit } from './digit-canvas.js';
import { MNIST_PIXELS, mnistInputFromDrawing } from './digit.js';
import { percent } from './format.js';
import { predictProbabilities, withModel } from './model.js';
import type { DemoPage, ProbabilityBar } from './page.js';

/** Adds one bar per digit to `container`, all empty. */
export function buildProbabilityBars(container: HTMLElement): ProbabilityBar[] {
  const bars: ProbabilityBar[] = [];
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
    container.append(row);
    bars.push({ fill, value });
  }
  return bars;
}

/** Shows ten probabilities (the top one highlighted), or empty bars when undefined. */
function showBars(page: DemoPage, probabilities: Float32Array | undefined): void {
  const top = probabilities ? argmax(probabilities, 0, 10) : -1;
  const { bars } = page.drawing;
  [...page.elements.bars.children].forEach((row, digit) => {
    const p = probabilities?.[digit];
    row.classList.toggle('top', digit === top);
    if (p === undefined) delete (row as HTMLElement).dataset.p;
    else (row as HTMLElement).dataset.p = String(p);
    bars[digit].fill.style.width = p === undefined ? '0' : `${(100 * p).toFixed(1)}%`;
    bars[digit].value.textContent = p === undefined ? '–' : percent(p);
  });
}

/** Shows what the model sees and, one prediction at a time, what it makes of it. */
export async function predictDrawing(page: DemoPage): Promise<void> {
  const { elements: ui, drawing } = page;
  const { grey, width, height } = drawing.pad.grey();
  const input = mnistInputFromDrawing(grey, width, height);
  paintDigit(ui.padInput, input ?? new Float32Array(MNIST_PIXELS));
  if (!input || !page.model) {
    showBars(page, undefined);
    ui.drawResult.textContent = input
      ? 'Train a model or load weights to see what it makes of your digit.'
      : 'Draw a digit from 0 to 9 in the black square.';
    return;
  }
  if (drawing.busy) {
    drawing.pending = true;
    return;
  }
  drawing.busy = true;
  try {
    const probabilities = await withModel(page, (m) => predictProbabilities(m, input));
    // Shown even if the drawing grew meanwhile (the next prediction follows), not after a clear.
    if (probabilities && drawing.pad.hasInk) {
      showBars(page, probabilities);
      const top = argmax(probabilities, 0, 10);
      ui.drawResult.textContent = `The model reads a ${top} (${percent(probabilities[top])}).`;
    }
  } finally {
    drawing.busy = false;
    if (drawing.pending) {
      drawing.pending = false;
      void predictDrawing(page);
    }
  }
}

/** Compiles the one-image prediction step ahead of the first drawing. */
export async function warmUpDrawing(page: DemoPage): Promise<void> {
  await withModel(page, (m) => m.predict(new Float32Array(MNIST_PIXELS)));
}
