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
// 4 × 4 block of C (rows 4·i.., columns 4·j..) as four vec4 accumulators, reading op(A) and
// op(B) straight from storage. No tiles are staged and there are no barriers: on
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

const BLOCK = 4u;
override ROW_BLOCKS: u32 = (M + BLOCK - 1u) / BLOCK;
override COL_BLOCKS: u32 = (N + BLOCK - 1u) / BLOCK;

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

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let flat = gid.x + gid.y * nwg.x * WG;
  if (flat >= ROW_BLOCKS * COL_BLOCKS) { return; }
  let row0 = (flat / COL_BLOCKS) * BLOCK;
  let col0 = (flat % COL_BLOCKS) * BLOCK;
  // Clamped indices: reads past the edge repeat the last row/column and are never stored.
  let rows = min(vec4u(row0, row0 + 1u, row0 + 2u, row0 + 3u), vec4u(M - 1u));
  let cols = min(vec4u(col0, col0 + 1u, col0 + 2u, col0 + 3u), vec4u(N - 1u));
  let kStart = gid.z * K_PER_SPLIT;
  let kEnd = min(kStart + K_PER_SPLIT, K);

  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var k = kStart; k < kEnd; k++) {
    let bk = loadB(k, cols);
    acc0 += loadA(rows.x, k) * bk;
    acc1 += loadA(rows.y, k) * bk;
    acc2 += loadA(rows.z, k) * bk;
    acc3 += loadA(rows.w, k) * bk;
  }

  if (SPLIT == 1u) {
    acc0 = epilogue(acc0, cols);
    acc1 = epilogue(acc1, cols);
    acc2 = epilogue(acc2, cols);
    acc3 = epilogue(acc3, cols);
  }
  let slice = gid.z * M * N;
  store(slice + row0 * N, col0, acc0);
  if (row0 + 1u < M) { store(slice + (row0 + 1u) * N, col0, acc1); }
  if (row0 + 2u < M) { store(slice + (row0 + 2u) * N, col0, acc2); }
  if (row0 + 3u < M) { store(slice + (row0 + 3u) * N, col0, acc3); }
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
