/**
 * MNIST for the page: its four IDX files fetched from the demo server (with a running count of
 * the bytes on the status line), the test set converted at once, training images on demand.
 */
import { mnistFromBuffers } from '../src/index.js';
import { MNIST_FILES } from '../src/data/mnist.js';
import { MNIST_PIXELS } from './digit.js';
import type { DemoPage } from './page.js';
import type { LabelledImages } from './training.js';

/** The training set's last 6,000 images are the validation pool (Keras' validation_split 0.1). */
export const TRAIN_POOL = 54000;

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

/** Downloads the four files into `page.mnistFiles` and converts the test set into `page.test`. */
export async function loadMnistFiles(page: DemoPage): Promise<void> {
  let loaded = 0;
  const show = () => (page.elements.status.textContent = `Loading MNIST: ${(loaded / 1e6).toFixed(1)} MB`);
  show();
  const onBytes = (n: number) => {
    loaded += n;
    show();
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [MNIST_FILES.trainImages, MNIST_FILES.trainLabels, MNIST_FILES.testImages, MNIST_FILES.testLabels].map((f) => fetchBytes(f, onBytes)),
  );
  page.mnistFiles = { trainImages, trainLabels, testImages, testLabels };
  // The test set is converted now (the grid needs it); training images when training starts.
  const mnist = mnistFromBuffers(trainImages, trainLabels, testImages, testLabels, { limit: 1 });
  page.test = mnist.test;
  page.testCount = Math.min(page.testCount, page.test.count);
}

/** The first `n` training images, and the validation images (from the last 6,000). */
export function trainingData(page: DemoPage, n: number): { train: LabelledImages; validation: LabelledImages } {
  const files = page.mnistFiles!;
  const validationCount = Math.min(6000, Math.max(64, Math.round(n / 9)));
  const all = mnistFromBuffers(files.trainImages, files.trainLabels, files.testImages, files.testLabels, { limit: TRAIN_POOL + validationCount, testLimit: 1 }).train;
  const slice = (from: number, to: number): LabelledImages => ({
    images: all.images.subarray(from * MNIST_PIXELS, to * MNIST_PIXELS),
    labels: all.labels.subarray(from, to),
    count: to - from,
  });
  return { train: slice(0, n), validation: slice(TRAIN_POOL, TRAIN_POOL + validationCount) };
}
