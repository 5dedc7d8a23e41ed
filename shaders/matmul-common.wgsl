// What the scalar-operand matmul shaders share (matmul.wgsl, matmul-quads.wgsl and
// matmul-tiled.wgsl; src/kernels/matmul.ts appends this text and matmul-output.wgsl to each):
// op(A) and op(B) bound as f32 arrays, each invocation a ROWS × 4 block of C.
// Each shader declares ROWS (4 or 8).

@group(0) @binding(2) var<storage, read> a: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;

const COLS = 4u;
override ROW_BLOCKS: u32 = (M + ROWS - 1u) / ROWS;
override COL_BLOCKS: u32 = (N + COLS - 1u) / COLS;

// Where entry z of a batched product starts in a and b; set by batchEntry, read through
// startA()/startB(), which are the constant 0 unless BATCH > 1 (so that an unbatched kernel's
// reads compile as they would without batches).
var<private> aStart: u32;
var<private> bStart: u32;

fn batchEntry(z: u32) {
  aStart = z * M * K;
  bStart = z * K * N;
}

fn startA() -> u32 { return select(0u, aStart, BATCH > 1u); }
fn startB() -> u32 { return select(0u, bStart, BATCH > 1u); }

// The block of C, row r in acc[r] (rows 4-7 only when ROWS == 8). Indexed only by constants:
// one loop over it by a variable index kept it in memory and cost half the quad kernel's speed.
var<private> acc: array<vec4f, 8>;

// op(A)[rows, k] for four rows.
fn loadA(rows: vec4u, k: u32) -> vec4f {
  if (TRANS_A) {
    let base = startA() + k * M;
    return vec4f(a[base + rows.x], a[base + rows.y], a[base + rows.z], a[base + rows.w]);
  }
  let base = startA() + k;
  return vec4f(a[base + rows.x * K], a[base + rows.y * K], a[base + rows.z * K], a[base + rows.w * K]);
}

// op(B)[k, cols]
fn loadB(k: u32, cols: vec4u) -> vec4f {
  if (TRANS_B) {
    let base = startB() + k;
    return vec4f(b[base + cols.x * K], b[base + cols.y * K], b[base + cols.z * K], b[base + cols.w * K]);
  }
  let base = startB() + k * N;
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
  if (ROWS == 8u) {
    acc[4] += bottom.x * bk;
    acc[5] += bottom.y * bk;
    acc[6] += bottom.z * bk;
    acc[7] += bottom.w * bk;
  }
}

// Writes the block whose top-left element is (row0, col0).
fn storeBlock(slice: u32, row0: u32, col0: u32, cols: vec4u) {
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

// The block's rows and columns, clamped: reads past the edge repeat the last row or column
// and are never stored. Rows 0-3 in .top, 4-7 in .bottom.
struct BlockIndices {
  top: vec4u,
  bottom: vec4u,
  cols: vec4u,
}

fn blockIndices(row0: u32, col0: u32) -> BlockIndices {
  return BlockIndices(
    min(vec4u(row0, row0 + 1u, row0 + 2u, row0 + 3u), vec4u(M - 1u)),
    min(vec4u(row0 + 4u, row0 + 5u, row0 + 6u, row0 + 7u), vec4u(M - 1u)),
    min(vec4u(col0, col0 + 1u, col0 + 2u, col0 + 3u), vec4u(N - 1u)),
  );
}
