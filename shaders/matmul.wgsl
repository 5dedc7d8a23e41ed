// Matrix multiply with a fused epilogue:  C[M, N] = op(A)·op(B) (+ bias[N]) (then ReLU),
// for any device (no optional feature). src/kernels/matmul.ts appends matmul-common.wgsl,
// which holds the bindings, the constants and the helpers both matmul shaders share.
// shaders/matmul-quads.wgsl is the faster variant for devices with subgroups; this file's
// `reduce_splits` finishes split-K runs of both.
//
// Bindings of `reduce_splits` (bias and out as in `main`, out = C):
//   2 partials: (SPLIT, M, N), in `a`'s binding slot
//
// Algorithm: register blocking without workgroup memory. Each invocation computes a
// ROWS × 4 block of C (ROWS = 4 or 8) as vec4 accumulators, one per row, reading op(A) and
// op(B) straight from storage. No tiles are staged and there are no barriers: on
// SwiftShader (a CPU) a workgroup barrier is a costly switch of every invocation, and the
// CPU's caches already do what workgroup tiles do on a GPU; a skinny shape (N = 16, K = 4
// in a first conv layer) wastes nothing on padding a 64 × 64 tile. Rows and columns past
// the edge are clamped for reading and skipped for writing, so any M, N, K is exact.
// 8 rows read 12 values per step of k for 32 multiply-adds against 8 for 16 with 4 rows
// (1.3–1.4 times the speed on SwiftShader, where reads are the bound); 4 rows waste nothing
// when M ≤ 4.
//
// Invocations: flat index f = gid.x + gid.y·(nwg.x·WG) over ROW_BLOCKS × COL_BLOCKS, with
// neighbouring invocations on neighbouring column blocks (they share the A reads).

// Rows of C per invocation: 4 or 8.
override ROWS: u32 = 4u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let flat = gid.x + gid.y * nwg.x * WG;
  if (flat >= ROW_BLOCKS * COL_BLOCKS) { return; }
  let row0 = (flat / COL_BLOCKS) * ROWS;
  let col0 = (flat % COL_BLOCKS) * COLS;
  let at = blockIndices(row0, col0);
  batchEntry(gid.z);
  let kStart = kRange(gid.z).x;
  let kEnd = kRange(gid.z).y;

  acc = array<vec4f, 8>();
  for (var k = kStart; k < kEnd; k++) {
    var bottom = vec4f();
    if (ROWS == 8u) { bottom = loadA(at.bottom, k); }
    accumulate(loadA(at.top, k), bottom, k, at.cols);
  }
  storeBlock(gid.z, row0, col0, at.cols);
}

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
