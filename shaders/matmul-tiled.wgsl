// Matrix multiply with a fused epilogue, tiled through workgroup memory (the GPU kind):
//   C[M, N] = op(A)·op(B) (+ bias[N]) (then ReLU).
// The same contract as matmul.wgsl (its `reduce_splits` finishes a split-K run of this one);
// src/kernels/matmul.ts appends matmul-common.wgsl (scalar operand bindings, acc, storeBlock)
// and matmul-output.wgsl (constants, bias and output, epilogue).
//
// Why: on a GPU, reads from storage are the cost and workgroup memory is fast and shared.
// Each workgroup computes a TILE_M × TILE_N tile of C: per step of TILE_K along k, its
// invocations copy op(A)'s TILE_M × TILE_K and op(B)'s TILE_K × TILE_N pieces into workgroup
// memory (zero past the edges, so any M, N, K and both transpositions work), wait at a
// barrier, and each then accumulates a 4 × 4 register block from the tiles, read as vec4.
// Every value read from storage is used TILE_N/4 (A) or TILE_M/4 (B) times from the tile.
// On SwiftShader (a CPU) the barriers are costly switches of every invocation: there the
// register-blocked kernels win, and the tuner (src/runtime/tuner.ts) picks by timing.
//
// Tile sizes are override constants; matmul.ts sets WG = (TILE_M / 4)·(TILE_N / 4).
// Workgroups: flat index t = wid.x + wid.y·nwg.x over the tiles, row-major (TILES_N per row).

const ROWS = 4u;
override TILE_M: u32 = 32u;
override TILE_N: u32 = 32u;
override TILE_K: u32 = 16u;
override TILE_M4: u32 = TILE_M / 4u;
override TILE_N4: u32 = TILE_N / 4u;
override TILE_A_VECS: u32 = TILE_K * TILE_M4;
override TILE_B_VECS: u32 = TILE_K * TILE_N4;
override TILES_N: u32 = (N + TILE_N - 1u) / TILE_N;
override TILES: u32 = ((M + TILE_M - 1u) / TILE_M) * TILES_N;

// tileA[kk·TILE_M4 + i] = op(A)[tile row 4i .. 4i + 3, k0 + kk]
var<workgroup> tileA: array<vec4f, TILE_A_VECS>;
// tileB[kk·TILE_N4 + j] = op(B)[k0 + kk, tile column 4j .. 4j + 3]
var<workgroup> tileB: array<vec4f, TILE_B_VECS>;

// op(A)[row, k], zero outside the matrix or the split's K range.
fn elementA(row: u32, k: u32, kEnd: u32) -> f32 {
  if (row >= M || k >= kEnd) { return 0.0; }
  if (TRANS_A) { return a[startA() + k * M + row]; }
  return a[startA() + row * K + k];
}

// op(B)[k, col], zero outside the matrix or the split's K range.
fn elementB(k: u32, col: u32, kEnd: u32) -> f32 {
  if (col >= N || k >= kEnd) { return 0.0; }
  if (TRANS_B) { return b[startB() + col * K + k]; }
  return b[startB() + k * N + col];
}

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) local: u32,
) {
  let tile = wid.x + wid.y * nwg.x;
  // Uniform per workgroup, so returning before the barriers is allowed.
  if (tile >= TILES) { return; }
  let tileRow0 = (tile / TILES_N) * TILE_M;
  let tileCol0 = (tile % TILES_N) * TILE_N;
  let tx = local % TILE_N4;
  let ty = local / TILE_N4;
  batchEntry(wid.z);
  let kStart = kRange(wid.z).x;
  let kEnd = kRange(wid.z).y;

  acc = array<vec4f, 8>();
  for (var k0 = kStart; k0 < kEnd; k0 += TILE_K) {
    for (var v = local; v < TILE_A_VECS; v += WG) {
      let k = k0 + v / TILE_M4;
      let row = tileRow0 + (v % TILE_M4) * 4u;
      tileA[v] = vec4f(elementA(row, k, kEnd), elementA(row + 1u, k, kEnd), elementA(row + 2u, k, kEnd), elementA(row + 3u, k, kEnd));
    }
    for (var v = local; v < TILE_B_VECS; v += WG) {
      let k = k0 + v / TILE_N4;
      let col = tileCol0 + (v % TILE_N4) * 4u;
      tileB[v] = vec4f(elementB(k, col, kEnd), elementB(k, col + 1u, kEnd), elementB(k, col + 2u, kEnd), elementB(k, col + 3u, kEnd));
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      let av = tileA[kk * TILE_M4 + ty];
      let bv = tileB[kk * TILE_N4 + tx];
      acc[0] += av.x * bv;
      acc[1] += av.y * bv;
      acc[2] += av.z * bv;
      acc[3] += av.w * bv;
    }
    workgroupBarrier();
  }

  let col0 = tileCol0 + tx * 4u;
  if (col0 >= N) { return; }
  storeBlock(wid.z, tileRow0 + ty * 4u, col0, min(vec4u(col0, col0 + 1u, col0 + 2u, col0 + 3u), vec4u(N - 1u)));
}
