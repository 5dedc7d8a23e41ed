/**
 * The Test images card: 40 MNIST test images with the model's predictions, mistakes in red;
 * "Other images" moves on to the next 40.
 */
import { argmax } from '../src/reference/softmax.js';
import { paintDigit } from './digit-canvas.js';
import { MNIST_PIXELS, MNIST_SIDE } from './digit.js';
import { formatCount, percent } from './format.js';
import { predictProbabilities, withModel } from './model.js';
import type { DemoPage } from './page.js';

const GRID_SIZE = 40;

/** Fills the grid with the test images from `page.gridOffset` on, not yet predicted. */
export function buildGrid(page: DemoPage): void {
  const test = page.test!;
  const cells = [];
  for (let k = 0; k < GRID_SIZE; k++) {
    const i = (page.gridOffset + k) % test.count;
    const cell = document.createElement('figure');
    cell.className = 'cell';
    cell.dataset.label = String(test.labels[i]);
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = MNIST_SIDE;
    paintDigit(canvas, test.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS));
    const caption = document.createElement('figcaption');
    caption.textContent = '·';
    cell.append(canvas, caption);
    cells.push(cell);
  }
  page.elements.testGrid.replaceChildren(...cells);
}

/** Predicts the grid's images with the current model and shows the results. */
export async function predictGrid(page: DemoPage): Promise<void> {
  const { test, elements: ui } = page;
  if (!test) return;
  const images = new Float32Array(GRID_SIZE * MNIST_PIXELS); // [40, 28, 28, 1]
  for (let k = 0; k < GRID_SIZE; k++) {
    const i = (page.gridOffset + k) % test.count;
    images.set(test.images.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS), k * MNIST_PIXELS);
  }
  const probabilities = await withModel(page, (m) => predictProbabilities(m, images, { batchSize: GRID_SIZE }));
  if (!probabilities) return;
  let mistakes = 0;
  [...ui.testGrid.children].forEach((cell, k) => {
    const row = probabilities.subarray(k * 10, (k + 1) * 10);
    const predicted = argmax(row, 0, 10);
    const label = Number((cell as HTMLElement).dataset.label);
    const wrong = predicted !== label;
    mistakes += wrong ? 1 : 0;
    (cell as HTMLElement).dataset.predicted = String(predicted);
    cell.classList.toggle('wrong', wrong);
    cell.querySelector('figcaption')!.textContent = wrong ? `${predicted} (is ${label})` : `${predicted}`;
    cell.setAttribute('title', `predicted ${predicted} with ${percent(row[predicted])}; label ${label}`);
  });
  const first = page.gridOffset + 1;
  ui.gridSummary.textContent = `Test images ${formatCount(first)}–${formatCount(first + GRID_SIZE - 1)}: ${GRID_SIZE - mistakes} of ${GRID_SIZE} right; mistakes in red.`;
  ui.testGrid.dataset.updates = String(Number(ui.testGrid.dataset.updates ?? 0) + 1);
}

/** "Other images": the next 40 test images, predicted. */
export function showOtherTestImages(page: DemoPage): Promise<void> {
  page.gridOffset = (page.gridOffset + GRID_SIZE) % page.test!.count;
  buildGrid(page);
  return predictGrid(page);
}
