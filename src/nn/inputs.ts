/** Checks of user data before anything is uploaded: a bad call throws and changes nothing. */
import { elements } from '../data/shape.js';
import { typeName } from '../data/type-name.js';

/** Integer class labels, or one-hot (or soft) targets of shape (N, classes). */
export type Labels = Uint8Array | Int32Array | Uint32Array | Float32Array;

/** Number of samples in x, checking its type, length and values. */
export function checkImages(x: unknown, sampleShape: readonly number[], what = 'x'): number {
  if (!(x instanceof Float32Array)) throw new Error(`${what} must be a Float32Array in NHWC order, got ${typeName(x)}`);
  const perSample = elements(sampleShape);
  if (x.length === 0) throw new Error(`${what} is empty: give at least one sample of shape [${sampleShape}]`);
  if (x.length % perSample !== 0) {
    throw new Error(`${what} has ${x.length} values, which is not a whole number of samples of shape [${sampleShape}] (${perSample} values each)`);
  }
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) throw new Error(`${what} holds ${x[i]} at index ${i} (sample ${Math.floor(i / perSample)}): inputs must be finite`);
  }
  return x.length / perSample;
}

/**
 * Checks labels against the sample count and the number of classes and returns them as
 * one-hot f32 rows (a new array; the caller's stays untouched), smoothed as Keras' label
 * smoothing does when labelSmoothing > 0.
 */
export function toTargets(y: unknown, samples: number, classes: number, what = 'y', labelSmoothing = 0): Float32Array {
  const targets = oneHotTargets(y, samples, classes, what);
  // Keras' label smoothing: t·(1 − ε) + ε/classes.
  if (labelSmoothing > 0) for (let i = 0; i < targets.length; i++) targets[i] = targets[i] * (1 - labelSmoothing) + labelSmoothing / classes;
  return targets;
}

function oneHotTargets(y: unknown, samples: number, classes: number, what: string): Float32Array {
  if (y instanceof Float32Array) {
    if (y.length !== samples * classes) {
      throw new Error(`${what}: a Float32Array is read as one-hot targets (${samples} samples × ${classes} classes = ${samples * classes} values), but it has ${y.length}`);
    }
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i]) || y[i] < 0 || y[i] > 1) throw new Error(`${what}: target value ${y[i]} at index ${i} is not a probability`);
    }
    return y.slice();
  }
  if (y instanceof Uint8Array || y instanceof Int32Array || y instanceof Uint32Array) {
    if (y.length !== samples) throw new Error(`${what} has ${y.length} labels for ${samples} samples`);
    const out = new Float32Array(samples * classes);
    for (let i = 0; i < samples; i++) {
      const label = y[i];
      if (label < 0 || label >= classes) throw new Error(`${what}: label ${label} of sample ${i} is outside the ${classes} classes (0..${classes - 1})`);
      out[i * classes + label] = 1;
    }
    return out;
  }
  throw new Error(`${what} must be integer labels (Uint8Array, Int32Array, Uint32Array) or one-hot targets (Float32Array), got ${typeName(y)}`);
}

