// Matrix multiply with a fused epilogue:  C[M, N] = op(A)·op(B) (+ bias[N]) (then ReLU).
//
// Bindings of `main`:
//   0 bias: (N), read only when HAS_BIAS (otherwise any small buffer)
//   1 out:  (M, N) = C when SPLIT == 1; (SPLIT, M, N) partial sums when SPLIT > 1
//   2 a:    (M, K) row-major; (K, M) when TRANS_A, so op(A) = Aᵀ is read in place
//   3 b:    (K, N) row-major; (N, K) when TRANS_B
// Bindings of `reduce_splits` (bias and out as above, out = C):
//   2 partials: (SPLIT, M, N)
//
// shaders/matmul-quads.wgsl is the faster variant for devices with subgroups; this one needs
// no optional feature. Its `reduce_splits` finishes split-K runs of both.
//
// Algorithm: register blocking without workgroup memory. Each invocation computes a
// ROWS × 4 block of C (ROWS = 4 or 8) as vec4 accumulators, one per row, reading op(A) and
// op(B) straight from storage. 8 rows read 12 values per step of k for 32 multiply-adds
// against 8 for 16 with 4 rows (1.45 times the speed at 512³ on SwiftShader, where reads
// are the bound); 4 rows waste nothing when M ≤ 4. No tiles are staged and there are no barriers: on
// SwiftShader (a CPU) a workgroup barrier is a costly switch of every invocation, and the
// CPU's caches already do what workgroup tiles do on a GPU; a skinny shape (N = 16, K = 4
// in a first conv layer) wastes nothing on padding a 64 × 64 tile. Rows and columns past
// the edge are clamped for reading and skipped for writing, so any M, N, K is exact.
//
// Invocations: flat index f = gid.x + gid.y·(nwg.x·WG) over ROW_BLOCKS × COL_BLOCKS, with
// neighbouring invocations on neighbouring column blocks (they share the A reads).
// Split-K: workgroup z = s sums the K range [s·K_PER_SPLIT, min(K, (s+1)·K_PER_SPLIT)) into
// out[s, :, :]; `reduce_splits` adds the SPLIT partials and applies the epilogue.

override M: u32;
override N: u32;
override K: u32;
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;
override SPLIT: u32 = 1u;
override K_PER_SPLIT: u32 = K;
override WG: u32 = 64u;

// Rows of C per invocation: 4 or 8.
override ROWS: u32 = 4u;
const COLS = 4u;
override ROW_BLOCKS: u32 = (M + ROWS - 1u) / ROWS;
override COL_BLOCKS: u32 = (N + COLS - 1u) / COLS;

@group(0) @binding(0) var<storage, read> bias: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

// op(A)[row, k]
fn loadA(row: u32, k: u32) -> f32 {
  if (TRANS_A) { return a[k * M + row]; }
  return a[row * K + k];
}

// op(B)[k, col .. col+3]
fn loadB(k: u32, cols: vec4u) -> vec4f {
  if (TRANS_B) { return vec4f(b[cols.x * K + k], b[cols.y * K + k], b[cols.z * K + k], b[cols.w * K + k]); }
  let base = k * N;
  return vec4f(b[base + cols.x], b[base + cols.y], b[base + cols.z], b[base + cols.w]);
}

fn epilogue(v: vec4f, cols: vec4u) -> vec4f {
  var r = v;
  if (HAS_BIAS) { r += vec4f(bias[cols.x], bias[cols.y], bias[cols.z], bias[cols.w]); }
  if (RELU) { r = max(r, vec4f(0.0)); }
  return r;
}

// Writes the valid part of a row's 4 values at out[base + col0 ..].
fn store(base: u32, col0: u32, v: vec4f) {
  out[base + col0] = v.x;
  if (col0 + 1u < N) { out[base + col0 + 1u] = v.y; }
  if (col0 + 2u < N) { out[base + col0 + 2u] = v.z; }
  if (col0 + 3u < N) { out[base + col0 + 3u] = v.w; }
}

// The ROWS × 4 block of C, row r in acc[r] (rows 4-7 only when ROWS == 8). Indexed only by
// constants, so that it can stay in registers.
var<private> acc: array<vec4f, 8>;

// Writes row `row` (if < M) of the block at column col0 of the slice, after the epilogue.
fn storeRow(slice: u32, row: u32, col0: u32, cols: vec4u, v: vec4f) {
  if (row >= M) { return; }
  var r = v;
  if (SPLIT == 1u) { r = epilogue(r, cols); }
  store(slice + row * N, col0, r);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let flat = gid.x + gid.y * nwg.x * WG;
  if (flat >= ROW_BLOCKS * COL_BLOCKS) { return; }
  let row0 = (flat / COL_BLOCKS) * ROWS;
  let col0 = (flat % COL_BLOCKS) * COLS;
  // Clamped indices: reads past the edge repeat the last row/column and are never stored.
  let top = min(vec4u(row0, row0 + 1u, row0 + 2u, row0 + 3u), vec4u(M - 1u));
  let bottom = min(vec4u(row0 + 4u, row0 + 5u, row0 + 6u, row0 + 7u), vec4u(M - 1u));
  let cols = min(vec4u(col0, col0 + 1u, col0 + 2u, col0 + 3u), vec4u(N - 1u));
  let kStart = gid.z * K_PER_SPLIT;
  let kEnd = min(kStart + K_PER_SPLIT, K);

  acc = array<vec4f, 8>();
  for (var k = kStart; k < kEnd; k++) {
    let bk = loadB(k, cols);
    acc[0] += loadA(top.x, k) * bk;
    acc[1] += loadA(top.y, k) * bk;
    acc[2] += loadA(top.z, k) * bk;
    acc[3] += loadA(top.w, k) * bk;
    if (ROWS == 8u) {
      acc[4] += loadA(bottom.x, k) * bk;
      acc[5] += loadA(bottom.y, k) * bk;
      acc[6] += loadA(bottom.z, k) * bk;
      acc[7] += loadA(bottom.w, k) * bk;
    }
  }

  let slice = gid.z * M * N;
  storeRow(slice, row0, col0, cols, acc[0]);
  storeRow(slice, row0 + 1u, col0, cols, acc[1]);
  storeRow(slice, row0 + 2u, col0, cols, acc[2]);
  storeRow(slice, row0 + 3u, col0, cols, acc[3]);
  if (ROWS == 8u) {
    storeRow(slice, row0 + 4u, col0, cols, acc[4]);
    storeRow(slice, row0 + 5u, col0, cols, acc[5]);
    storeRow(slice, row0 + 6u, col0, cols, acc[6]);
    storeRow(slice, row0 + 7u, col0, cols, acc[7]);
  }
}

// Takes `a`'s binding slot; `main` and `reduce_splits` are separate pipelines.
@compute @workgroup_size(WG)
fn reduce_splits(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= M * N) { return; }
  var sum = 0.0;
  for (var s = 0u; s < SPLIT; s++) {
    sum += a[s * M * N + i];
  }
  if (HAS_BIAS) { sum += bias[i % N]; }
  if (RELU) { sum = max(sum, 0.0); }
  out[i] = sum;
}
