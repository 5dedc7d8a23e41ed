// Winograd F(2×2, 3×3): the transforms of shaders/winograd-common.wgsl (which comes before this
// text and describes the algorithm, the bindings and the invocations) for 2×2 output tiles,
// 4×4 input tiles, 16 products:
//   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],
//   Aᵀ = [1 1 1 0; 0 1 -1 -1];
// and for the weight gradient, F(3×3, 2×2): G' = [1 0; ½ ½; ½ -½; 0 -1] (A, with G's halves),
//   A'ᵀ = [1 1 1 0; 0 1 -1 0; 0 1 1 1] (Gᵀ without them).
// Per output pixel and channel pair: 16/4 = 4 multiply-adds against 9 for the direct sum; the
// input and output transforms move 4·C values per output pixel each. The weight gradient, per
// tile (4 pixels of dZ) and channel pair: 16 multiply-adds against im2col's 4·9 = 36.
// Written out without loops: Tint does not unroll them, and an array indexed by a loop variable
// would live in memory.

const TILE = 2u;

// Four values along a row of a tile (columns 0-3), one Chunk each.
struct Row {
  j0: Chunk,
  j1: Chunk,
  j2: Chunk,
  j3: Chunk,
}

fn rowAdd(p: Row, q: Row) -> Row {
  return Row(p.j0 + q.j0, p.j1 + q.j1, p.j2 + q.j2, p.j3 + q.j3);
}

fn rowSub(p: Row, q: Row) -> Row {
  return Row(p.j0 - q.j0, p.j1 - q.j1, p.j2 - q.j2, p.j3 - q.j3);
}

// ---- Input transform.

fn patchRow(n: u32, row: i32, col0: i32, c: u32) -> Row {
  return Row(inputAt(n, row, col0, c), inputAt(n, row, col0 + 1, c), inputAt(n, row, col0 + 2, c), inputAt(n, row, col0 + 3, c));
}

// Bᵀ along a row of Bᵀ d: row r of V = (Bᵀ d) B.
fn applyBT(bd: Row) -> Row {
  return Row(bd.j0 - bd.j2, bd.j1 + bd.j2, bd.j2 - bd.j1, bd.j1 - bd.j3);
}

// Row r of a transformed tile (V or U'), written to transformed[4r + j, t, c].
fn storeTransformedRow(r: u32, row: Row, t: u32, c: u32) {
  let base = 4u * r * T + t;
  transformed[base * CC + c] = row.j0;
  transformed[(base + T) * CC + c] = row.j1;
  transformed[(base + 2u * T) * CC + c] = row.j2;
  transformed[(base + 3u * T) * CC + c] = row.j3;
}

@compute @workgroup_size(WG)
fn inputTransform(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= T * CC) { return; }
  let c = i % CC;
  let t = i / CC;
  let o = tileOrigin(t);
  let row0 = i32(o.y) - i32(PAD_TOP);
  let col0 = i32(o.z) - i32(PAD_LEFT);
  let d0 = patchRow(o.x, row0, col0, c);
  let d1 = patchRow(o.x, row0 + 1, col0, c);
  let d2 = patchRow(o.x, row0 + 2, col0, c);
  let d3 = patchRow(o.x, row0 + 3, col0, c);
  // Row r of Bᵀ d, then Bᵀ along it: row r of (Bᵀ d) B.
  storeTransformedRow(0u, applyBT(rowSub(d0, d2)), t, c);
  storeTransformedRow(1u, applyBT(rowAdd(d1, d2)), t, c);
  storeTransformedRow(2u, applyBT(rowSub(d2, d1)), t, c);
  storeTransformedRow(3u, applyBT(rowSub(d1, d3)), t, c);
}

// ---- Weight transform (small: CIN·COUT invocations, once per step).

// Row r of U = (G g) Gᵀ is G applied along row r of G g; written to u[4r + j, at].
fn storeU(r: u32, gg: vec3f, at: u32) {
  let base = 4u * r * CIN * COUT + at;
  u[base] = gg.x;
  u[base + CIN * COUT] = 0.5 * (gg.x + gg.y + gg.z);
  u[base + 2u * CIN * COUT] = 0.5 * (gg.x - gg.y + gg.z);
  u[base + 3u * CIN * COUT] = gg.z;
}

@compute @workgroup_size(WG)
fn weightTransform(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= CIN * COUT) { return; }
  let ci = i / COUT;
  let co = i % COUT;
  let g0 = kernelRow(0u, ci, co);
  let g1 = kernelRow(1u, ci, co);
  let g2 = kernelRow(2u, ci, co);
  let at = weightAt(ci, co);
  // G g, row by row.
  storeU(0u, g0, at);
  storeU(1u, 0.5 * (g0 + g1 + g2), at);
  storeU(2u, 0.5 * (g0 - g1 + g2), at);
  storeU(3u, g2, at);
}

// ---- Output transform.

// Row i of the 4×4 product tile: m[4i + j, t, c] for j = 0..3.
fn productRow(i: u32, t: u32, c: u32) -> Row {
  let base = 4u * i * T + t;
  return Row(m[base * CC + c], m[(base + T) * CC + c], m[(base + 2u * T) * CC + c], m[(base + 3u * T) * CC + c]);
}

@compute @workgroup_size(WG)
fn outputTransform(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= T * CC) { return; }
  let c = i % CC;
  let t = i / CC;
  let m0 = productRow(0u, t, c);
  let m1 = productRow(1u, t, c);
  let m2 = productRow(2u, t, c);
  let m3 = productRow(3u, t, c);
  // Aᵀ M, row by row, then Aᵀ along each row.
  let s0 = rowAdd(rowAdd(m0, m1), m2);
  let s1 = rowSub(rowSub(m1, m2), m3);
  let o = tileOrigin(t);
  storeOutput(o.x, o.y, o.z, c, s0.j0 + s0.j1 + s0.j2);
  storeOutput(o.x, o.y, o.z + 1u, c, s0.j1 - s0.j2 - s0.j3);
  storeOutput(o.x, o.y + 1u, o.z, c, s1.j0 + s1.j1 + s1.j2);
  storeOutput(o.x, o.y + 1u, o.z + 1u, c, s1.j1 - s1.j2 - s1.j3);
}

// ---- Weight gradient: F(3×3, 2×2) on the forward's tiles.

// Two values along a row of a dZ tile (columns 0 and 1).
struct Pair {
  k0: Chunk,
  k1: Chunk,
}

// G' applied along a pair: (k0, ½(k0 + k1), ½(k0 - k1), -k1).
fn expandPair(p: Pair) -> Row {
  return Row(p.k0, 0.5 * (p.k0 + p.k1), 0.5 * (p.k0 - p.k1), -p.k1);
}

@compute @workgroup_size(WG)
fn gradientTransform(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= T * CC) { return; }
  let c = i % CC;
  let t = i / CC;
  let o = tileOrigin(t);
  let g0 = Pair(gradientAt(o.x, o.y, o.z, c), gradientAt(o.x, o.y, o.z + 1u, c));
  let g1 = Pair(gradientAt(o.x, o.y + 1u, o.z, c), gradientAt(o.x, o.y + 1u, o.z + 1u, c));
  // Row r of G' g, then G' along it: row r of (G' g) G'ᵀ.
  storeTransformedRow(0u, expandPair(g0), t, c);
  storeTransformedRow(1u, expandPair(Pair(0.5 * (g0.k0 + g1.k0), 0.5 * (g0.k1 + g1.k1))), t, c);
  storeTransformedRow(2u, expandPair(Pair(0.5 * (g0.k0 - g1.k0), 0.5 * (g0.k1 - g1.k1))), t, c);
  storeTransformedRow(3u, expandPair(Pair(-g1.k0, -g1.k1)), t, c);
}

// Row i of the summed 4×4 product tile, at (ci, c).
fn productSumRow(i: u32, ci: u32, c: u32) -> Row {
  return Row(productSum(4u * i, ci, c), productSum(4u * i + 1u, ci, c), productSum(4u * i + 2u, ci, c), productSum(4u * i + 3u, ci, c));
}

// Row kh of dW: A'ᵀ along the row r of A'ᵀ M, written to dw[kh, kw, ci, c].
fn storeDW(kh: u32, r: Row, ci: u32, c: u32) {
  let base = (kh * 3u * CIN + ci) * CC + c;
  dw[base] = r.j0 + r.j1 + r.j2;
  dw[base + CIN * CC] = r.j1 - r.j2;
  dw[base + 2u * CIN * CC] = r.j1 + r.j2 + r.j3;
}

@compute @workgroup_size(WG)
fn weightGradientOutput(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= CIN * CC) { return; }
  let c = i % CC;
  let ci = i / CC;
  let m0 = productSumRow(0u, ci, c);
  let m1 = productSumRow(1u, ci, c);
  let m2 = productSumRow(2u, ci, c);
  let m3 = productSumRow(3u, ci, c);
  // A'ᵀ M, row by row.
  storeDW(0u, rowAdd(rowAdd(m0, m1), m2), ci, c);
  storeDW(1u, rowSub(m1, m2), ci, c);
  storeDW(2u, rowAdd(rowAdd(m1, m2), m3), ci, c);
}
