/** Float64 references for the matrix multiply (with its bias/ReLU epilogue) and the column sum. */
import type { MatmulParams } from '../kernels/matmul.js';

/**
 * C[M, N] = op(A)·op(B) (+ bias[N]) (then ReLU) (then 0 where mask ≤ 0), in float64.
 * a: (M, K), or (K, M) with transA.  b: (K, N), or (N, K) with transB.  bias: (N).  mask: (M, N).
 */
export function matmulRef(
  params: Pick<MatmulParams, 'm' | 'n' | 'k' | 'transA' | 'transB' | 'activation'>,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  bias?: ArrayLike<number>,
  mask?: ArrayLike<number>,
): Float64Array {
  const { m: M, n: N, k: K, transA = false, transB = false, activation = 'linear' } = params;
  const c = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let sum = bias ? bias[j] : 0;
      for (let p = 0; p < K; p++) {
        const aip = transA ? a[p * M + i] : a[i * K + p];
        const bpj = transB ? b[j * K + p] : b[p * N + j];
        sum += aip * bpj;
      }
      const activated = activation === 'relu' ? Math.max(sum, 0) : sum;
      c[i * N + j] = mask && !(mask[i * N + j] > 0) ? 0 : activated;
    }
  }
  return c;
}

/** out[c] = Σ_r x[r, c].  x: (rows, cols), out: (cols). */
export function columnSumRef(rows: number, cols: number, x: ArrayLike<number>): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[c] += x[r * cols + c];
  }
  return out;
}
