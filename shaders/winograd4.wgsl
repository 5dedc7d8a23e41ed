// Winograd F(4×4, 3×3): the transforms of shaders/winograd-common.wgsl (which comes before this
// text and describes the algorithm, the bindings and the invocations) for 4×4 output tiles,
// 6×6 input tiles, 36 products, on the points 0, 1, −1, ½, −2, ∞:
//   Bᵀ = [1 -3/2 -2 3/2 1 0; 0 -1 ½ 5/2 1 0; 0 1 -5/2 ½ 1 0; 0 -2 -1 2 1 0; 0 ½ -1 -½ 1 0;
//         0 1 -3/2 -2 3/2 1],
//   G = [1 0 0; ⅓ ⅓ ⅓; -⅓ ⅓ -⅓; -16/15 -8/15 -4/15; 1/15 -2/15 4/15; 0 0 1],
//   Aᵀ = [1 1 1 1 1 0; 0 1 -1 ½ -2 0; 0 1 1 ¼ 4 0; 0 1 -1 ⅛ -8 1];
// and for the weight gradient, F(3×3, 4×4) on the forward's V: G' = A (6×4), A'ᵀ = Gᵀ (3×6).
// Lavin & Gray's points are 0, ±1, ±2, ∞; trading +2 for ½ (Barabasz et al., "Error analysis
// and improving the accuracy of Winograd convolution for deep neural networks") balances the
// transforms' magnitudes (the largest sum of magnitudes along a row: Aᵀ's 11⅛ against 19, Bᵀ's
// 7 against 10): each direction's largest error falls 1.9–3.0× (`bench/winograd.ts --accuracy`).
// Per output pixel and channel pair: 36/16 = 2.25 multiply-adds against F(2×2, 3×3)'s 4 and the
// direct sum's 9; the input and output transforms move 36/16 = 2.25·C values per output pixel
// each, against F(2×2, 3×3)'s 4·C. The price is still accuracy: Aᵀ's entries reach 8, against 1.
// Each transform is a 1-D one applied down the columns, then along the rows (L X Lᵀ). The
// per-tile transforms are written out without loops: Tint does not unroll them, and an array
// indexed by a loop variable would live in memory.

const TILE = 4u;
const THIRD: f32 = 1.0 / 3.0;
const FIFTEENTH: f32 = 1.0 / 15.0;

// Six values along a line of an A×A tile (entries 0-5), one Chunk each.
struct Six {
  j0: Chunk,
  j1: Chunk,
  j2: Chunk,
  j3: Chunk,
  j4: Chunk,
  j5: Chunk,
}

// Four values along a line of a 4×4 tile of the output or of dZ.
struct Four {
  j0: Chunk,
  j1: Chunk,
  j2: Chunk,
  j3: Chunk,
}

// Bᵀ p.
fn applyBT(p: Six) -> Six {
  let diff13 = p.j3 - p.j1;
  let diff42 = p.j4 - p.j2;
  return Six(
    p.j0 + p.j4 - 2.0 * p.j2 + 1.5 * diff13,
    p.j4 - p.j1 + 0.5 * p.j2 + 2.5 * p.j3,
    p.j4 + p.j1 - 2.5 * p.j2 + 0.5 * p.j3,
    diff42 + 2.0 * diff13,
    diff42 - 0.5 * diff13,
    p.j5 + p.j1 - 2.0 * p.j3 + 1.5 * diff42,
  );
}

// Aᵀ p.
fn applyAT(p: Six) -> Four {
  let sum12 = p.j1 + p.j2;
  let diff12 = p.j1 - p.j2;
  return Four(p.j0 + sum12 + p.j3 + p.j4, diff12 + 0.5 * p.j3 - 2.0 * p.j4, sum12 + 0.25 * p.j3 + 4.0 * p.j4,
              diff12 + 0.125 * p.j3 - 8.0 * p.j4 + p.j5);
}

// G' q = A q: a line of a dZ tile expanded to six.
fn applyA(q: Four) -> Six {
  let even = q.j0 + q.j2;
  let odd = q.j1 + q.j3;
  return Six(q.j0, even + odd, even - odd, q.j0 + 0.5 * q.j1 + 0.25 * q.j2 + 0.125 * q.j3,
             q.j0 - 2.0 * q.j1 + 4.0 * q.j2 - 8.0 * q.j3, q.j3);
}

// ---- Input transform: V = Bᵀ d B.

// Column `col` of the 6×6 input patch whose top-left pixel is (row0, ·).
fn patchColumn(n: u32, row0: i32, col: i32, c: u32) -> Six {
  return Six(inputAt(n, row0, col, c), inputAt(n, row0 + 1, col, c), inputAt(n, row0 + 2, col, c),
             inputAt(n, row0 + 3, col, c), inputAt(n, row0 + 4, col, c), inputAt(n, row0 + 5, col, c));
}

// Row r of a transformed tile (V or U'), written to transformed[6r + j, t, c].
fn storeTransformedRow(r: u32, row: Six, t: u32, c: u32) {
  let base = 6u * r * T + t;
  transformed[base * CC + c] = row.j0;
  transformed[(base + T) * CC + c] = row.j1;
  transformed[(base + 2u * T) * CC + c] = row.j2;
  transformed[(base + 3u * T) * CC + c] = row.j3;
  transformed[(base + 4u * T) * CC + c] = row.j4;
  transformed[(base + 5u * T) * CC + c] = row.j5;
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
  // Column j of Bᵀ d.
  let e0 = applyBT(patchColumn(o.x, row0, col0, c));
  let e1 = applyBT(patchColumn(o.x, row0, col0 + 1, c));
  let e2 = applyBT(patchColumn(o.x, row0, col0 + 2, c));
  let e3 = applyBT(patchColumn(o.x, row0, col0 + 3, c));
  let e4 = applyBT(patchColumn(o.x, row0, col0 + 4, c));
  let e5 = applyBT(patchColumn(o.x, row0, col0 + 5, c));
  // Row r of (Bᵀ d) B = Bᵀ applied along row r of Bᵀ d.
  storeTransformedRow(0u, applyBT(Six(e0.j0, e1.j0, e2.j0, e3.j0, e4.j0, e5.j0)), t, c);
  storeTransformedRow(1u, applyBT(Six(e0.j1, e1.j1, e2.j1, e3.j1, e4.j1, e5.j1)), t, c);
  storeTransformedRow(2u, applyBT(Six(e0.j2, e1.j2, e2.j2, e3.j2, e4.j2, e5.j2)), t, c);
  storeTransformedRow(3u, applyBT(Six(e0.j3, e1.j3, e2.j3, e3.j3, e4.j3, e5.j3)), t, c);
  storeTransformedRow(4u, applyBT(Six(e0.j4, e1.j4, e2.j4, e3.j4, e4.j4, e5.j4)), t, c);
  storeTransformedRow(5u, applyBT(Six(e0.j5, e1.j5, e2.j5, e3.j5, e4.j5, e5.j5)), t, c);
}

// ---- Weight transform: U = G g Gᵀ (small: CIN·COUT invocations, once per step; loops are fine).

// G p, p three values down a column or along a row of the kernel.
fn applyG(p: vec3f) -> array<f32, 6> {
  let outer = p.x + p.z;
  return array<f32, 6>(
    p.x,
    THIRD * (outer + p.y),
    THIRD * (p.y - outer),
    -FIFTEENTH * (16.0 * p.x + 8.0 * p.y + 4.0 * p.z),
    FIFTEENTH * (p.x - 2.0 * p.y + 4.0 * p.z),
    p.z,
  );
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
  // Columns kw of G g.
  let c0 = applyG(vec3f(g0.x, g1.x, g2.x));
  let c1 = applyG(vec3f(g0.y, g1.y, g2.y));
  let c2 = applyG(vec3f(g0.z, g1.z, g2.z));
  let at = weightAt(ci, co);
  for (var r = 0u; r < 6u; r++) {
    // Row r of (G g) Gᵀ, written to u[6r + j, at].
    let row = applyG(vec3f(c0[r], c1[r], c2[r]));
    for (var j = 0u; j < 6u; j++) {
      u[(6u * r + j) * CIN * COUT + at] = row[j];
    }
  }
}

// ---- Output transform: Y = Aᵀ M A.

// Column j of the 6×6 product tile: m[6i + j, t, c] for i = 0..5.
fn productColumn(j: u32, t: u32, c: u32) -> Six {
  let base = j * T + t;
  let stride = 6u * T;
  return Six(m[base * CC + c], m[(base + stride) * CC + c], m[(base + 2u * stride) * CC + c],
             m[(base + 3u * stride) * CC + c], m[(base + 4u * stride) * CC + c], m[(base + 5u * stride) * CC + c]);
}

// Output row r of the tile: Aᵀ along row r of Aᵀ M, to pixels (row0 + r, col0 .. col0 + 3).
fn storeOutputRow(n: u32, row: u32, col0: u32, c: u32, line: Six) {
  let out = applyAT(line);
  storeOutput(n, row, col0, c, out.j0);
  storeOutput(n, row, col0 + 1u, c, out.j1);
  storeOutput(n, row, col0 + 2u, c, out.j2);
  storeOutput(n, row, col0 + 3u, c, out.j3);
}

@compute @workgroup_size(WG)
fn outputTransform(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= T * CC) { return; }
  let c = i % CC;
  let t = i / CC;
  // Column j of Aᵀ M.
  let q0 = applyAT(productColumn(0u, t, c));
  let q1 = applyAT(productColumn(1u, t, c));
  let q2 = applyAT(productColumn(2u, t, c));
  let q3 = applyAT(productColumn(3u, t, c));
  let q4 = applyAT(productColumn(4u, t, c));
  let q5 = applyAT(productColumn(5u, t, c));
  let o = tileOrigin(t);
  storeOutputRow(o.x, o.y, o.z, c, Six(q0.j0, q1.j0, q2.j0, q3.j0, q4.j0, q5.j0));
  storeOutputRow(o.x, o.y + 1u, o.z, c, Six(q0.j1, q1.j1, q2.j1, q3.j1, q4.j1, q5.j1));
  storeOutputRow(o.x, o.y + 2u, o.z, c, Six(q0.j2, q1.j2, q2.j2, q3.j2, q4.j2, q5.j2));
  storeOutputRow(o.x, o.y + 3u, o.z, c, Six(q0.j3, q1.j3, q2.j3, q3.j3, q4.j3, q5.j3));
}

// ---- Weight gradient: F(3×3, 4×4) on the forward's tiles.

// Column `col` of the 4×4 dZ tile whose top row is row0.
fn gradientColumn(n: u32, row0: u32, col: u32, c: u32) -> Four {
  return Four(gradientAt(n, row0, col, c), gradientAt(n, row0 + 1u, col, c), gradientAt(n, row0 + 2u, col, c), gradientAt(n, row0 + 3u, col, c));
}

@compute @workgroup_size(WG)
fn gradientTransform(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= T * CC) { return; }
  let c = i % CC;
  let t = i / CC;
  let o = tileOrigin(t);
  // Column j of G' g.
  let e0 = applyA(gradientColumn(o.x, o.y, o.z, c));
  let e1 = applyA(gradientColumn(o.x, o.y, o.z + 1u, c));
  let e2 = applyA(gradientColumn(o.x, o.y, o.z + 2u, c));
  let e3 = applyA(gradientColumn(o.x, o.y, o.z + 3u, c));
  // Row r of (G' g) G'ᵀ.
  storeTransformedRow(0u, applyA(Four(e0.j0, e1.j0, e2.j0, e3.j0)), t, c);
  storeTransformedRow(1u, applyA(Four(e0.j1, e1.j1, e2.j1, e3.j1)), t, c);
  storeTransformedRow(2u, applyA(Four(e0.j2, e1.j2, e2.j2, e3.j2)), t, c);
  storeTransformedRow(3u, applyA(Four(e0.j3, e1.j3, e2.j3, e3.j3)), t, c);
  storeTransformedRow(4u, applyA(Four(e0.j4, e1.j4, e2.j4, e3.j4)), t, c);
  storeTransformedRow(5u, applyA(Four(e0.j5, e1.j5, e2.j5, e3.j5)), t, c);
}

// Three values: a column or row of dW.
struct Three {
  k0: Chunk,
  k1: Chunk,
  k2: Chunk,
}

// A'ᵀ p = Gᵀ p.
fn applyGT(p: Six) -> Three {
  let sum12 = p.j1 + p.j2;
  let diff12 = p.j1 - p.j2;
  return Three(
    p.j0 + THIRD * diff12 + FIFTEENTH * (p.j4 - 16.0 * p.j3),
    THIRD * sum12 - FIFTEENTH * (8.0 * p.j3 + 2.0 * p.j4),
    THIRD * diff12 + FIFTEENTH * (4.0 * (p.j4 - p.j3)) + p.j5,
  );
}

// Column j of the summed 6×6 product tile, at (ci, c).
fn productSumColumn(j: u32, ci: u32, c: u32) -> Six {
  return Six(productSum(j, ci, c), productSum(6u + j, ci, c), productSum(12u + j, ci, c),
             productSum(18u + j, ci, c), productSum(24u + j, ci, c), productSum(30u + j, ci, c));
}

// Row kh of dW: A'ᵀ along row kh of A'ᵀ M, written to dw[kh, kw, ci, c].
fn storeDW(kh: u32, line: Six, ci: u32, c: u32) {
  let r = applyGT(line);
  let base = (kh * 3u * CIN + ci) * CC + c;
  dw[base] = r.k0;
  dw[base + CIN * CC] = r.k1;
  dw[base + 2u * CIN * CC] = r.k2;
}

@compute @workgroup_size(WG)
fn weightGradientOutput(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= CIN * CC) { return; }
  let c = i % CC;
  let ci = i / CC;
  // Column j of A'ᵀ M.
  let q0 = applyGT(productSumColumn(0u, ci, c));
  let q1 = applyGT(productSumColumn(1u, ci, c));
  let q2 = applyGT(productSumColumn(2u, ci, c));
  let q3 = applyGT(productSumColumn(3u, ci, c));
  let q4 = applyGT(productSumColumn(4u, ci, c));
  let q5 = applyGT(productSumColumn(5u, ci, c));
  storeDW(0u, Six(q0.k0, q1.k0, q2.k0, q3.k0, q4.k0, q5.k0), ci, c);
  storeDW(1u, Six(q0.k1, q1.k1, q2.k1, q3.k1, q4.k1, q5.k1), ci, c);
  storeDW(2u, Six(q0.k2, q1.k2, q2.k2, q3.k2, q4.k2, q5.k2), ci, c);
}
