/** Float64 references for row softmax and softmax + categorical cross-entropy. */

/** log softmax of each row of x: (rows, cols), as (x − max) − log Σ exp(x − max). */
export function logSoftmaxRef(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let largest = -Infinity;
    for (let c = 0; c < cols; c++) largest = Math.max(largest, x[base + c]);
    let expSum = 0;
    for (let c = 0; c < cols; c++) expSum += Math.exp(x[base + c] - largest);
    const logSum = Math.log(expSum);
    for (let c = 0; c < cols; c++) out[base + c] = x[base + c] - largest - logSum;
  }
  return out;
}

/** softmax of each row of x: (rows, cols). */
export function softmaxRef(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  return logSoftmaxRef(x, rows, cols).map(Math.exp);
}

/** Index of the largest value, the first one on ties. */
export function argmax(values: ArrayLike<number>, start: number, length: number): number {
  let best = 0;
  for (let i = 1; i < length; i++) if (values[start + i] > values[start + best]) best = i;
  return best;
}

export interface CrossEntropyRef {
  /** Σ over rows of −Σ t·log softmax(logits). */
  lossSum: number;
  /** Rows where argmax(logits) == argmax(targets). */
  correct: number;
  /** d(lossSum / batch)/d logits: (batch, classes). */
  dLogits: Float64Array;
}

/** Softmax + categorical cross-entropy over logits, targets: (batch, classes). */
export function crossEntropyRef(logits: ArrayLike<number>, targets: ArrayLike<number>, batch: number, classes: number): CrossEntropyRef {
  const logProbabilities = logSoftmaxRef(logits, batch, classes);
  const dLogits = new Float64Array(batch * classes);
  let lossSum = 0;
  let correct = 0;
  for (let r = 0; r < batch; r++) {
    const base = r * classes;
    let targetSum = 0;
    for (let c = 0; c < classes; c++) {
      targetSum += targets[base + c];
      lossSum -= targets[base + c] * logProbabilities[base + c];
    }
    for (let c = 0; c < classes; c++) {
      dLogits[base + c] = (Math.exp(logProbabilities[base + c]) * targetSum - targets[base + c]) / batch;
    }
    if (argmax(logits, base, classes) === argmax(targets, base, classes)) correct++;
  }
  return { lossSum, correct, dLogits };
}
