// What every matmul shader shares, whatever its operands' types (src/kernels/matmul.ts appends
// this text to each): the contract's constants, the bias and output bindings, the epilogue
// and a store of one 4-wide row segment of C.
//   C[M, N] = op(A)·op(B) (+ bias[N]) (then ReLU)
//
// Bindings of `main` (2 a and 3 b are declared by each kernel, as f32 or vec4f arrays):
//   0 bias: (N), read only when HAS_BIAS (otherwise any small buffer)
//   1 out:  (M, N) = C when SPLIT == 1; (SPLIT, M, N) partial sums when SPLIT > 1
//   2 a:    (M, K) row-major; (K, M) when TRANS_A, so op(A) = Aᵀ is read in place
//   3 b:    (K, N) row-major; (N, K) when TRANS_B
// Split-K: workgroup z = s sums the K range [s·K_PER_SPLIT, min(K, (s+1)·K_PER_SPLIT)) into
// out[s, :, :]; matmul.wgsl's `reduce_splits` adds the SPLIT partials and applies the epilogue.
// Batched (BATCH > 1, then SPLIT == 1): workgroup z = e computes entry e of a stack of
// independent products, C[e] = op(A[e])·op(B[e]) (+ bias) (then ReLU), with a: (BATCH, ...A),
// b: (BATCH, ...B), out: (BATCH, M, N); each kernel offsets its operand reads by entry e
// (batchEntry), and the store below puts C[e] where slice e would go.

override M: u32;
override N: u32;
override K: u32;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;
override SPLIT: u32 = 1u;
override BATCH: u32 = 1u;
override K_PER_SPLIT: u32 = K;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> bias: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

// The K range [start, end) workgroup z sums: its split-K slice, or all of K for a batch entry.
fn kRange(z: u32) -> vec2u {
  if (BATCH > 1u) { return vec2u(0u, K); }
  let start = z * K_PER_SPLIT;
  return vec2u(start, min(start + K_PER_SPLIT, K));
}

fn epilogue(v: vec4f, cols: vec4u) -> vec4f {
  var r = v;
  if (HAS_BIAS) { r += vec4f(bias[cols.x], bias[cols.y], bias[cols.z], bias[cols.w]); }
  if (RELU) { r = max(r, vec4f(0.0)); }
  return r;
}

// Writes row `row` of the block (if < M), after the epilogue unless it is a partial sum, at
// columns col0 .. (those < N) of split-K slice `slice` (col0 < N).
fn storeRow(slice: u32, row: u32, col0: u32, cols: vec4u, v: vec4f) {
  if (row >= M) { return; }
  var r = v;
  if (SPLIT == 1u) { r = epilogue(r, cols); }
  let base = slice * M * N + row * N;
  out[base + col0] = r.x;
  if (col0 + 1u < N) { out[base + col0 + 1u] = r.y; }
  if (col0 + 2u < N) { out[base + col0 + 2u] = r.z; }
  if (col0 + 3u < N) { out[base + col0 + 3u] = r.w; }
}
