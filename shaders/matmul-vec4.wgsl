// Matrix multiply with a fused epilogue, operands read as vec4:
//   C[M, N] = op(A)·op(B) (+ bias[N]) (then ReLU).
// The same contract as matmul.wgsl (its `reduce_splits` finishes a split-K run of this one);
// src/kernels/matmul.ts appends matmul-output.wgsl (constants, bias and output, epilogue).
//
// Bindings 2 and 3 are vec4 arrays, so the rows of both stored operands must start on a
// vec4: the rule (checked by matmul.ts before it picks this kernel) is
//   K % 4 == 0, and M % 4 == 0 with TRANS_A, and N % 4 == 0 without TRANS_B
// (and K_PER_SPLIT % 4 == 0). Tails in the other direction are clamped as in matmul.wgsl:
// a row or column group past the edge re-reads the last one and is never stored.
//   2 a: (M, K/4) vec4 along k; (K, M/4) vec4 along m when TRANS_A
//   3 b: (K, N/4) vec4 along n; (N, K/4) vec4 along k when TRANS_B
//
// Why: on SwiftShader each vec4 load is one load, where a per-invocation scalar index costs a
// gather (see matmul-quads.wgsl). Each invocation computes a 16 × 8 block of C over steps of
// four k: per step it loads 16 vec4 of A and 8 of B for 512 multiply-adds (the quad kernel:
// 32 scalar loads for 128). The block is eight 4 × 4 sub-blocks, each a mat4x4f: with the
// four k of a step, op(A)'s 4 × 4 piece as Am (column i = row i over the k) and op(B)'s as Bm
// (column j = op(B)[k + j, the 4 columns]), the product Bm·Am has as column i the sum over the
// four k of op(A)[i, k]·op(B)[k, columns], which is row i of the sub-block's update.
//
// Invocations: flat index f = gid.x + gid.y·(nwg.x·WG) over ROW_BLOCKS × COL_BLOCKS, with
// neighbouring invocations on neighbouring column blocks (they share the A reads).

@group(0) @binding(2) var<storage, read> a: array<vec4f>;
@group(0) @binding(3) var<storage, read> b: array<vec4f>;

const BLOCK_ROWS = 16u;
const BLOCK_COLS = 8u;
override ROW_BLOCKS: u32 = (M + BLOCK_ROWS - 1u) / BLOCK_ROWS;
override COL_BLOCKS: u32 = (N + BLOCK_COLS - 1u) / BLOCK_COLS;

// Where entry z of a batched product starts in a and b, in vec4s (M·K and K·N are multiples of
// 4 by the rule above); set by batchEntry, read through startA()/startB(), the constant 0 unless
// BATCH > 1.
var<private> aStart: u32;
var<private> bStart: u32;

fn batchEntry(z: u32) {
  aStart = z * M * K / 4u;
  bStart = z * K * N / 4u;
}

fn startA() -> u32 { return select(0u, aStart, BATCH > 1u); }
fn startB() -> u32 { return select(0u, bStart, BATCH > 1u); }

// op(A)[row0 .. row0 + 3, k .. k + 3] as Am: column i = op(A)[row0 + i, k .. k + 3].
fn loadA(row0: u32, k: u32) -> mat4x4f {
  if (TRANS_A) {
    // A is (K, M): one vec4 holds 4 rows of op(A) at one k; clamp to the last whole group.
    let stride = M / 4u;
    let g = min(row0, M - 4u) / 4u;
    let t = mat4x4f(a[startA() + k * stride + g], a[startA() + (k + 1u) * stride + g], a[startA() + (k + 2u) * stride + g], a[startA() + (k + 3u) * stride + g]);
    return transpose(t);
  }
  let stride = K / 4u;
  let kv = k / 4u;
  let r = min(vec4u(row0, row0 + 1u, row0 + 2u, row0 + 3u), vec4u(M - 1u));
  let base = startA() + kv;
  return mat4x4f(a[base + r.x * stride], a[base + r.y * stride], a[base + r.z * stride], a[base + r.w * stride]);
}

// op(B)[k .. k + 3, col0 .. col0 + 3] as Bm: column j = op(B)[k + j, col0 .. col0 + 3].
fn loadB(k: u32, col0: u32) -> mat4x4f {
  if (TRANS_B) {
    // B is (N, K): one vec4 holds one column of op(B) over the 4 k.
    let stride = K / 4u;
    let kv = k / 4u;
    let c = min(vec4u(col0, col0 + 1u, col0 + 2u, col0 + 3u), vec4u(N - 1u));
    let base = startB() + kv;
    return transpose(mat4x4f(b[base + c.x * stride], b[base + c.y * stride], b[base + c.z * stride], b[base + c.w * stride]));
  }
  let stride = N / 4u;
  let g = min(col0, N - 4u) / 4u;
  let base = startB() + g;
  return mat4x4f(b[base + k * stride], b[base + (k + 1u) * stride], b[base + (k + 2u) * stride], b[base + (k + 3u) * stride]);
}

// Writes the sub-block `block` whose top-left element is (row0, col0), rows ≥ M and columns ≥ N left out.
fn storeSubBlock(slice: u32, row0: u32, col0: u32, block: mat4x4f) {
  if (col0 >= N) { return; }
  let cols = min(vec4u(col0, col0 + 1u, col0 + 2u, col0 + 3u), vec4u(N - 1u));
  storeRow(slice, row0, col0, cols, block[0]);
  storeRow(slice, row0 + 1u, col0, cols, block[1]);
  storeRow(slice, row0 + 2u, col0, cols, block[2]);
  storeRow(slice, row0 + 3u, col0, cols, block[3]);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let flat = gid.x + gid.y * nwg.x * WG;
  if (flat >= ROW_BLOCKS * COL_BLOCKS) { return; }
  let row0 = (flat / COL_BLOCKS) * BLOCK_ROWS;
  let col0 = (flat % COL_BLOCKS) * BLOCK_COLS;
  batchEntry(gid.z);
  let kStart = kRange(gid.z).x;
  let kEnd = kRange(gid.z).y;

  // Sub-block (row group g, column group c) in cGC; column i of it is row 4g + i of the block
  // over 4 columns. Function variables, not an array: they stay in registers.
  var c00 = mat4x4f();
  var c01 = mat4x4f();
  var c10 = mat4x4f();
  var c11 = mat4x4f();
  var c20 = mat4x4f();
  var c21 = mat4x4f();
  var c30 = mat4x4f();
  var c31 = mat4x4f();
  for (var k = kStart; k < kEnd; k += 4u) {
    let b0 = loadB(k, col0);
    let b1 = loadB(k, col0 + 4u);
    let a0 = loadA(row0, k);
    c00 += b0 * a0;
    c01 += b1 * a0;
    let a1 = loadA(row0 + 4u, k);
    c10 += b0 * a1;
    c11 += b1 * a1;
    let a2 = loadA(row0 + 8u, k);
    c20 += b0 * a2;
    c21 += b1 * a2;
    let a3 = loadA(row0 + 12u, k);
    c30 += b0 * a3;
    c31 += b1 * a3;
  }
  storeSubBlock(gid.z, row0, col0, c00);
  storeSubBlock(gid.z, row0, col0 + 4u, c01);
  storeSubBlock(gid.z, row0 + 4u, col0, c10);
  storeSubBlock(gid.z, row0 + 4u, col0 + 4u, c11);
  storeSubBlock(gid.z, row0 + 8u, col0, c20);
  storeSubBlock(gid.z, row0 + 8u, col0 + 4u, c21);
  storeSubBlock(gid.z, row0 + 12u, col0, c30);
  storeSubBlock(gid.z, row0 + 12u, col0 + 4u, c31);
}
