// Matrix multiply with a fused epilogue, sharing loads across quads:
//   C[M, N] = op(A)·op(B) (+ bias[N]) (then ReLU).
// The same contract as matmul.wgsl (its `reduce_splits` finishes a split-K run of this one);
// used when the device has the `subgroups` feature and its quads are four consecutive
// invocations (src/device/quads.ts checks that once per device).
//
// Bindings of `main`:
//   0 bias: (N), read only when HAS_BIAS (otherwise any small buffer)
//   1 out:  (M, N) = C when SPLIT == 1; (SPLIT, M, N) partial sums when SPLIT > 1
//   2 a:    (M, K) row-major; (K, M) when TRANS_A, so op(A) = Aᵀ is read in place
//   3 b:    (K, N) row-major; (N, K) when TRANS_B
//
// Why: on SwiftShader (a CPU) every storage read with a per-invocation index is a gather of
// four scalar loads, and those loads, not the multiply-adds, bound the 4 × 4 kernel. Here
// each invocation computes an 8 × 4 block of C, and the four invocations of a quad take four
// neighbouring column blocks of the same 8 rows, so they need the same op(A) values. Over
// four steps of k, lane l of the quad reads op(A)[rows, k0 + l] (8 values) and
// quadBroadcast hands lane j's values to all four at step k0 + j. Per step of k an
// invocation then reads 2 values of A and 4 of B for 32 multiply-adds, against 8 reads for
// 16 in the 4 × 4 kernel: 1.8 to 2.7 times its speed on 512³ and the presets' GEMMs.
// acc is indexed only by constants: one loop over it by a variable index (the stores, at
// first) kept it in memory and cost half of that gain.
//
// Invocations: quad q = flat / 4 (flat = local index + 64·workgroup index) covers row block
// q / COL_QUADS and column blocks 4·(q % COL_QUADS) .. + 3, one per lane. Quads past the last
// return at once, all four lanes together; within a live quad every lane runs the loop, a
// lane past the edge with clamped indices and no stores: quadBroadcast needs all four.
// That is uniform per quad, which WGSL's analysis (by workgroup) cannot see, hence the
// diagnostic below.
// Split-K: workgroup z = s sums the K range [s·K_PER_SPLIT, min(K, (s+1)·K_PER_SPLIT)).
enable subgroups;
diagnostic(off, subgroup_uniformity);

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

const ROWS = 8u;
const COLS = 4u;
override ROW_BLOCKS: u32 = (M + ROWS - 1u) / ROWS;
override COL_BLOCKS: u32 = (N + COLS - 1u) / COLS;
override COL_QUADS: u32 = (COL_BLOCKS + 3u) / 4u;

@group(0) @binding(0) var<storage, read> bias: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

// The 8 × 4 block of C, row r in acc[r].
var<private> acc: array<vec4f, 8>;

// op(A)[rows, k] for four rows.
fn loadA(rows: vec4u, k: u32) -> vec4f {
  if (TRANS_A) { return vec4f(a[k * M + rows.x], a[k * M + rows.y], a[k * M + rows.z], a[k * M + rows.w]); }
  return vec4f(a[rows.x * K + k], a[rows.y * K + k], a[rows.z * K + k], a[rows.w * K + k]);
}

// op(B)[k, cols]
fn loadB(k: u32, cols: vec4u) -> vec4f {
  if (TRANS_B) { return vec4f(b[cols.x * K + k], b[cols.y * K + k], b[cols.z * K + k], b[cols.w * K + k]); }
  let base = k * N;
  return vec4f(b[base + cols.x], b[base + cols.y], b[base + cols.z], b[base + cols.w]);
}

// One step of k: acc[r] += op(A)[row r, k] · op(B)[k, cols], with op(A) of rows 0-3 in
// `top` and of rows 4-7 in `bottom`.
fn accumulate(top: vec4f, bottom: vec4f, k: u32, cols: vec4u) {
  let bk = loadB(k, cols);
  acc[0] += top.x * bk;
  acc[1] += top.y * bk;
  acc[2] += top.z * bk;
  acc[3] += top.w * bk;
  acc[4] += bottom.x * bk;
  acc[5] += bottom.y * bk;
  acc[6] += bottom.z * bk;
  acc[7] += bottom.w * bk;
}

fn epilogue(v: vec4f, cols: vec4u) -> vec4f {
  var r = v;
  if (HAS_BIAS) { r += vec4f(bias[cols.x], bias[cols.y], bias[cols.z], bias[cols.w]); }
  if (RELU) { r = max(r, vec4f(0.0)); }
  return r;
}

// Writes the valid part of row `row`'s 4 values at column col0 of the slice (col0 < N).
fn storeRow(slice: u32, row: u32, col0: u32, cols: vec4u, acc: vec4f) {
  if (row >= M) { return; }
  var v = acc;
  if (SPLIT == 1u) { v = epilogue(v, cols); }
  let base = slice + row * N;
  out[base + col0] = v.x;
  if (col0 + 1u < N) { out[base + col0 + 1u] = v.y; }
  if (col0 + 2u < N) { out[base + col0 + 2u] = v.z; }
  if (col0 + 3u < N) { out[base + col0 + 3u] = v.w; }
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) local: u32,
) {
  let flat = (wid.x + wid.y * nwg.x) * WG + local;
  let lane = flat % 4u;
  let q = flat / 4u;
  if (q >= ROW_BLOCKS * COL_QUADS) { return; }
  let row0 = (q / COL_QUADS) * ROWS;
  let col0 = ((q % COL_QUADS) * 4u + lane) * COLS;
  // Clamped indices: reads past the edge repeat the last row/column and are never stored.
  let top = min(vec4u(row0, row0 + 1u, row0 + 2u, row0 + 3u), vec4u(M - 1u));
  let bottom = min(vec4u(row0 + 4u, row0 + 5u, row0 + 6u, row0 + 7u), vec4u(M - 1u));
  let cols = min(vec4u(col0, col0 + 1u, col0 + 2u, col0 + 3u), vec4u(N - 1u));
  let kStart = wid.z * K_PER_SPLIT;
  let kEnd = min(kStart + K_PER_SPLIT, K);

  acc = array<vec4f, 8>();
  var k0 = kStart;
  for (; k0 + 4u <= kEnd; k0 += 4u) {
    let mineTop = loadA(top, k0 + lane);
    let mineBottom = loadA(bottom, k0 + lane);
    accumulate(quadBroadcast(mineTop, 0u), quadBroadcast(mineBottom, 0u), k0, cols);
    accumulate(quadBroadcast(mineTop, 1u), quadBroadcast(mineBottom, 1u), k0 + 1u, cols);
    accumulate(quadBroadcast(mineTop, 2u), quadBroadcast(mineBottom, 2u), k0 + 2u, cols);
    accumulate(quadBroadcast(mineTop, 3u), quadBroadcast(mineBottom, 3u), k0 + 3u, cols);
  }
  // The last 1 to 3 steps of k, if any (kEnd and k0 are the same for the whole quad).
  if (k0 < kEnd) {
    let k = min(k0 + lane, kEnd - 1u);
    let mineTop = loadA(top, k);
    let mineBottom = loadA(bottom, k);
    accumulate(quadBroadcast(mineTop, 0u), quadBroadcast(mineBottom, 0u), k0, cols);
    if (k0 + 1u < kEnd) {
      accumulate(quadBroadcast(mineTop, 1u), quadBroadcast(mineBottom, 1u), k0 + 1u, cols);
    }
    if (k0 + 2u < kEnd) {
      accumulate(quadBroadcast(mineTop, 2u), quadBroadcast(mineBottom, 2u), k0 + 2u, cols);
    }
  }

  if (col0 >= N) { return; }
  let slice = wid.z * M * N;
  // Constant indices into acc throughout, so that it can stay in registers.
  storeRow(slice, row0, col0, cols, acc[0]);
  storeRow(slice, row0 + 1u, col0, cols, acc[1]);
  storeRow(slice, row0 + 2u, col0, cols, acc[2]);
  storeRow(slice, row0 + 3u, col0, cols, acc[3]);
  storeRow(slice, row0 + 4u, col0, cols, acc[4]);
  storeRow(slice, row0 + 5u, col0, cols, acc[5]);
  storeRow(slice, row0 + 6u, col0, cols, acc[6]);
  storeRow(slice, row0 + 7u, col0, cols, acc[7]);
}
