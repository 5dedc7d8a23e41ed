/**
 * Batching: a seeded shuffle, gathering a batch into preallocated arrays, one-hot labels,
 * and Keras' validation split. Nothing here allocates per batch: a training loop makes
 * its index permutation and batch arrays once and refills them.
 */

/** A uniform random number in [0, 1). */
export type Rng = () => number;

/**
 * A small seeded PRNG (mulberry32: a 32-bit state, a Weyl step and an xorshift-multiply
 * mix). Not cryptographic; enough for shuffling and reproducible from its seed.
 */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates: shuffles `indices` in place (uniformly, given a uniform rng) and returns it. */
export function shuffleInPlace(indices: Uint32Array, rng: Rng): Uint32Array {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const kept = indices[i];
    indices[i] = indices[j];
    indices[j] = kept;
  }
  return indices;
}

/** A random permutation of 0..count-1, reproducible from `seed` (or drawn from an rng). */
export function shuffledIndices(count: number, seed: number | Rng): Uint32Array {
  if (!Number.isInteger(count) || count < 0) throw new Error(`shuffledIndices: count must be a non-negative integer, got ${count}`);
  const indices = new Uint32Array(count);
  for (let i = 0; i < count; i++) indices[i] = i;
  return shuffleInPlace(indices, typeof seed === 'number' ? createRng(seed) : seed);
}

/**
 * Copies samples indices[start .. start+size) into the first `size` rows of preallocated
 * batch arrays: their images into `xOut` and their labels, one-hot, into `yOut`.
 *
 *   images:  [count, ...sample]   (sample size = images.length / labels.length)
 *   labels:  [count]              class of each sample, 0..classes-1
 *   indices: [>= start + size]    sample order, e.g. from shuffledIndices
 *   xOut:    [>= size, ...sample]
 *   yOut:    [>= size, classes]   one-hot; rows past `size` are left as they are
 */
export function gatherBatch(
  images: Float32Array,
  labels: ArrayLike<number>,
  indices: ArrayLike<number>,
  start: number,
  size: number,
  xOut: Float32Array,
  yOut: Float32Array,
  classes: number,
): void {
  const count = labels.length;
  const sampleSize = images.length / count;
  if (!Number.isInteger(sampleSize)) {
    throw new Error(`gatherBatch: ${images.length} image values do not divide into ${count} samples`);
  }
  if (start < 0 || start + size > indices.length) {
    throw new Error(`gatherBatch: batch [${start}, ${start + size}) is outside the ${indices.length} indices`);
  }
  if (xOut.length < size * sampleSize || yOut.length < size * classes) {
    throw new Error(
      `gatherBatch: output arrays too small for ${size} samples: x needs ${size * sampleSize} (has ${xOut.length}), ` +
        `y needs ${size * classes} (has ${yOut.length})`,
    );
  }
  yOut.fill(0, 0, size * classes);
  for (let row = 0; row < size; row++) {
    const sample = indices[start + row];
    if (sample >= count) throw new Error(`gatherBatch: index ${sample} is outside the ${count} samples`);
    const from = sample * sampleSize;
    const to = row * sampleSize;
    for (let k = 0; k < sampleSize; k++) xOut[to + k] = images[from + k];
    yOut[row * classes + checkedLabel(labels[sample], classes, sample)] = 1;
  }
}

/** Labels [n] to one-hot rows [n, classes]. */
export function toOneHot(labels: ArrayLike<number>, classes: number): Float32Array {
  if (!Number.isInteger(classes) || classes < 1) throw new Error(`toOneHot: classes must be a positive integer, got ${classes}`);
  const oneHot = new Float32Array(labels.length * classes); // [n, classes]
  for (let i = 0; i < labels.length; i++) oneHot[i * classes + checkedLabel(labels[i], classes, i)] = 1;
  return oneHot;
}

/**
 * The class of each row of [n, classes]: the index of its largest value (the first one on
 * ties), so it also turns predicted probabilities into labels.
 */
export function labelsFromOneHot(oneHot: ArrayLike<number>, classes: number): Uint8Array {
  if (classes < 1 || classes > 256) throw new Error(`labelsFromOneHot: classes must be 1..256, found ${classes}`);
  const n = oneHot.length / classes;
  if (!Number.isInteger(n)) throw new Error(`labelsFromOneHot: ${oneHot.length} values do not divide into rows of ${classes}`);
  const labels = new Uint8Array(n); // [n]
  for (let row = 0; row < n; row++) {
    let best = 0;
    for (let c = 1; c < classes; c++) {
      if (oneHot[row * classes + c] > oneHot[row * classes + best]) best = c;
    }
    labels[row] = best;
  }
  return labels;
}

/** A typed array: anything with a length and a subarray view. */
interface Sliceable<T> {
  length: number;
  subarray(begin: number, end?: number): T;
}

export interface SplitPart<X, Y> {
  x: X;
  y: Y;
  count: number;
}

/**
 * Keras' `validationSplit`: the LAST `fraction` of the samples (before any shuffling) is
 * held out for validation; the first floor(count × (1 − fraction)) samples train.
 * Returns views (subarrays) that share memory with x and y, no copies.
 * `count` is the number of samples; by default y.length, i.e. y holds one label per sample
 * (pass it when y is one-hot).
 */
export function splitValidation<X extends Sliceable<X>, Y extends Sliceable<Y>>(
  x: X,
  y: Y,
  fraction: number,
  count: number = y.length,
): { train: SplitPart<X, Y>; validation: SplitPart<X, Y> } {
  if (!(fraction > 0 && fraction < 1)) throw new Error(`splitValidation: fraction must be in (0, 1), found ${fraction}`);
  const xPerSample = x.length / count;
  const yPerSample = y.length / count;
  if (!Number.isInteger(xPerSample) || !Number.isInteger(yPerSample)) {
    throw new Error(`splitValidation: x (${x.length} values) and y (${y.length} values) do not both divide into ${count} samples`);
  }
  // As Keras computes it, so the same data splits at the same sample.
  const splitAt = Math.floor(count * (1 - fraction));
  if (splitAt === 0 || splitAt === count) {
    throw new Error(`splitValidation: ${count} samples are too few to split with fraction ${fraction}`);
  }
  return {
    train: { x: x.subarray(0, splitAt * xPerSample), y: y.subarray(0, splitAt * yPerSample), count: splitAt },
    validation: { x: x.subarray(splitAt * xPerSample), y: y.subarray(splitAt * yPerSample), count: count - splitAt },
  };
}

function checkedLabel(label: number, classes: number, index: number): number {
  if (!Number.isInteger(label) || label < 0 || label >= classes) {
    throw new Error(`label ${label} at index ${index} is outside 0..${classes - 1}`);
  }
  return label;
}
