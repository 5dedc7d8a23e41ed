// Winograd convolution F(2×2, 3×3): a 3×3, stride-1 convolution over an NHWC batch as 16
// independent matrix products (src/kernels/winograd.ts runs them as one batched matmul).
//
// The output is cut into 2×2 tiles; tile (n, th, tw) reads the 4×4 input patch whose top-left
// pixel is (2·th - PAD_TOP, 2·tw - PAD_LEFT), zero outside the input. Per tile and channel
//   V = Bᵀ d B     (input transform, d: the 4×4 patch)
// per input channel ci and output channel co
//   U = G g Gᵀ     (weight transform, g: the 3×3 kernel W[:, :, ci, co])
// then for each of the 16 positions ξ = 4i + j of the 4×4 transformed tile
//   M[ξ] = V[ξ] · U[ξ]     (tiles × CIN) · (CIN × COUT), the matmul
// and per tile and output channel
//   Y = Aᵀ M A     (output transform, the 2×2 outputs; those past OH or OW are not written)
// with Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1],
// Aᵀ = [1 1 1 0; 0 1 -1 -1] (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks").
// Per output pixel and channel pair: 16/4 = 4 multiply-adds against 9 for the direct sum.
// The kernel is transformed once per step (it changes with every update); the input and
// output transforms move 4·C values per output pixel each.
//
// The input gradient of such a convolution is one too: dX is the 3×3 stride-1 convolution of dY
// with the kernel rotated by 180° and CIN/COUT swapped, padded by 2 - PAD_TOP above and
// 2 - PAD_LEFT left; weightTransform's FLIP writes that kernel's U.
//
// Bindings (f32 elements; Chunk is f32, or vec4f over 4 channels when C % 4 == 0):
//   inputTransform:   x: (N, IH, IW, C)        v: (16, T, C)        T = N·TH·TW tiles
//   weightTransform:  w: (3, 3, CIN, COUT)     u: (16, CIN, COUT), (16, COUT, CIN) when FLIP
//                     (CIN and COUT are the stored kernel's, the layer's own, in both cases)
//   outputTransform:  m: (16, T, C)            y: (N, OH, OW, C)
//                     biasOrMask: bias (C) when HAS_BIAS (then ReLU when RELU), or when RELU_MASK
//                     the previous ReLU's output (N, OH, OW, C): y = 0 where it is ≤ 0
// Tile t = (n·TH + th)·TW + tw. Invocations: flat index gid.x + gid.y·(nwg.x·WG) (grid() in
// src/runtime/dispatch.ts), one per (tile, chunk) or, for the weights, per (ci, co).

// BEGIN CHUNK
alias Chunk = f32;
const CHUNK = 1u;
// END CHUNK

override N: u32 = 1u;
// Input (IH, IW) and output (OH, OW) sizes, and the padding before the first row and column.
override IH: u32 = 1u;
override IW: u32 = 1u;
override OH: u32 = 1u;
override OW: u32 = 1u;
override PAD_TOP: u32 = 0u;
override PAD_LEFT: u32 = 0u;
// Channels of the tensor a transform moves (CIN for the input, COUT for the output).
override C: u32 = 4u;
override CIN: u32 = 1u;
override COUT: u32 = 1u;
override FLIP: bool = false;
override HAS_BIAS: bool = false;
override RELU: bool = false;
override RELU_MASK: bool = false;
override WG: u32 = 64u;

override TH: u32 = (OH + 1u) / 2u;
override TW: u32 = (OW + 1u) / 2u;
override T: u32 = N * TH * TW;
override CC: u32 = C / CHUNK;

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

// ---- Input transform. Written out without loops: Tint does not unroll them, and an array
// indexed by a loop variable would live in memory.

@group(0) @binding(0) var<storage, read> x: array<Chunk>;
@group(0) @binding(1) var<storage, read_write> v: array<Chunk>;

// The input pixel (row, col) of image n, chunk c; zero in the padding.
fn inputAt(n: u32, row: i32, col: i32, c: u32) -> Chunk {
  if (row < 0 || row >= i32(IH) || col < 0 || col >= i32(IW)) { return Chunk(); }
  return x[((n * IH + u32(row)) * IW + u32(col)) * CC + c];
}

fn patchRow(n: u32, row: i32, col0: i32, c: u32) -> Row {
  return Row(inputAt(n, row, col0, c), inputAt(n, row, col0 + 1, c), inputAt(n, row, col0 + 2, c), inputAt(n, row, col0 + 3, c));
}

// Row r of V = (Bᵀ d) B is Bᵀ applied along row r of Bᵀ d; written to v[4r + j, t, c].
fn storeV(r: u32, bd: Row, t: u32, c: u32) {
  let base = 4u * r * T + t;
  v[(base) * CC + c] = bd.j0 - bd.j2;
  v[(base + T) * CC + c] = bd.j1 + bd.j2;
  v[(base + 2u * T) * CC + c] = bd.j2 - bd.j1;
  v[(base + 3u * T) * CC + c] = bd.j1 - bd.j3;
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
  // Bᵀ d, row by row.
  storeV(0u, rowSub(d0, d2), t, c);
  storeV(1u, rowAdd(d1, d2), t, c);
  storeV(2u, rowSub(d2, d1), t, c);
  storeV(3u, rowSub(d1, d3), t, c);
}

// ---- Weight transform (small: CIN·COUT invocations, once per step).

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> u: array<f32>;

// Row kh of the kernel g, over kw: W[kh, kw, ci, co], or W[2 - kh, 2 - kw, ci, co] when FLIP.
fn kernelRow(kh: u32, ci: u32, co: u32) -> vec3f {
  let h = select(kh, 2u - kh, FLIP);
  let base = h * 3u * CIN * COUT + ci * COUT + co;
  let row = vec3f(w[base], w[base + CIN * COUT], w[base + 2u * CIN * COUT]);
  return select(row, row.zyx, FLIP);
}

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
  // U[ξ]'s row and column: (ci, co), or (co, ci) for the input gradient.
  let at = select(ci * COUT + co, co * CIN + ci, FLIP);
  // G g, row by row.
  storeU(0u, g0, at);
  storeU(1u, 0.5 * (g0 + g1 + g2), at);
  storeU(2u, 0.5 * (g0 - g1 + g2), at);
  storeU(3u, g2, at);
}

// ---- Output transform.

@group(0) @binding(0) var<storage, read> m: array<Chunk>;
@group(0) @binding(1) var<storage, read_write> y: array<Chunk>;
// The bias (C) when HAS_BIAS; when RELU_MASK, the input of the convolution whose input gradient
// this is, the output of a ReLU whose backward is applied here (N, OH, OW, C); else unread.
@group(0) @binding(2) var<storage, read> biasOrMask: array<Chunk>;

// Row i of the 4×4 product tile: m[4i + j, t, c] for j = 0..3.
fn productRow(i: u32, t: u32, c: u32) -> Row {
  let base = 4u * i * T + t;
  return Row(m[base * CC + c], m[(base + T) * CC + c], m[(base + 2u * T) * CC + c], m[(base + 3u * T) * CC + c]);
}

// The 2×2 outputs Aᵀ M A of tile t, chunk c: (row 0 col 0, row 0 col 1, row 1 col 0, row 1 col 1).
fn outputTile(t: u32, c: u32) -> array<Chunk, 4> {
  let m0 = productRow(0u, t, c);
  let m1 = productRow(1u, t, c);
  let m2 = productRow(2u, t, c);
  let m3 = productRow(3u, t, c);
  // Aᵀ M, row by row, then Aᵀ along each row.
  let s0 = rowAdd(rowAdd(m0, m1), m2);
  let s1 = rowSub(rowSub(m1, m2), m3);
  return array<Chunk, 4>(s0.j0 + s0.j1 + s0.j2, s0.j1 - s0.j2 - s0.j3, s1.j0 + s1.j1 + s1.j2, s1.j1 - s1.j2 - s1.j3);
}

// Where tile t's output pixels start: (image n, row, col) of its top-left one. The input
// transform reads its 4×4 patch from there, less the padding.
fn tileOrigin(t: u32) -> vec3u {
  return vec3u(t / (TW * TH), 2u * ((t / TW) % TH), 2u * (t % TW));
}

// The flat index of pixel (row, col) of image n, chunk c.
fn outputAt(n: u32, row: u32, col: u32, c: u32) -> u32 {
  return ((n * OH + row) * OW + col) * CC + c;
}

// The output at flat index `at` from its value in the tile: + bias, then ReLU; or masked by the
// previous layer's ReLU (0 where its output is ≤ 0).
fn finish(at: u32, value: Chunk, c: u32) -> Chunk {
  var r = value;
  if (HAS_BIAS) { r += biasOrMask[c]; }
  if (RELU) { r = max(r, Chunk()); }
  if (RELU_MASK) { r = select(Chunk(), r, biasOrMask[at] > Chunk()); }
  return r;
}

@compute @workgroup_size(WG)
fn outputTransform(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= T * CC) { return; }
  let c = i % CC;
  let t = i / CC;
  let out = outputTile(t, c);
  let o = tileOrigin(t);
  // The second row and column exist unless the output's height or width is odd at this tile.
  let lastRow = o.y + 1u < OH;
  let lastCol = o.z + 1u < OW;
  let at = outputAt(o.x, o.y, o.z, c);
  y[at] = finish(at, out[0], c);
  if (lastCol) { y[at + CC] = finish(at + CC, out[1], c); }
  if (lastRow) { y[at + OW * CC] = finish(at + OW * CC, out[2], c); }
  if (lastRow && lastCol) { y[at + (OW + 1u) * CC] = finish(at + (OW + 1u) * CC, out[3], c); }
}

// ---- Weight gradient: Winograd F(3×3, 2×2), the same tiles as the forward's.
// dW[kh, kw, ci, co] = Σ_{n,y,x} x̂[n, y + kh, x + kw, ci] · dZ[n, y, x, co] (x̂ padded) is a
// correlation with a 3×3 output and a 2×2 "filter" per 2×2 tile of dZ, the forward's output
// tiling: tile t pairs with the forward's 4×4 input tile, whose transform V = Bᵀ d B is the
// forward's own. Per tile and dZ channel
//   U' = G' g G'ᵀ  (gradientTransform, g: the 2×2 tile of dZ, 0 past OH or OW)
// the 16 products M[ξ] = V[ξ]ᵀ · U'[ξ], (CIN × T) · (T × COUT), summed over the tiles (the
// batched matmul, its K = T cut into SPLITS slices run as entries of their own), and per (ci, co)
//   dW = A'ᵀ (Σ_slices M) A'   (weightGradientOutput, 3×3)
// with G' = [1 0; ½ ½; ½ -½; 0 -1], A'ᵀ = [1 1 1 0; 0 1 -1 0; 0 1 1 1]. Per tile (4 pixels of
// dZ) and channel pair: 16 multiply-adds against im2col's 4·9 = 36, 2.25× fewer.
//   gradientTransform:     dz: (N, OH, OW, C)           ug: (16, T, C)          C = COUT
//   weightGradientOutput:  mg: (16, SPLITS, CIN, C)     dw: (3, 3, CIN, C)      one per (ci, chunk)

override SPLITS: u32 = 1u;

@group(0) @binding(0) var<storage, read> dz: array<Chunk>;
@group(0) @binding(1) var<storage, read_write> ug: array<Chunk>;

// Two values along a row of a dZ tile (columns 0 and 1).
struct Pair {
  k0: Chunk,
  k1: Chunk,
}

// dZ pixel (row, col) of image n, chunk c; zero past the output's edge (odd OH or OW).
fn gradientAt(n: u32, row: u32, col: u32, c: u32) -> Chunk {
  if (row >= OH || col >= OW) { return Chunk(); }
  return dz[outputAt(n, row, col, c)];
}

// G' applied along a pair: (k0, ½(k0 + k1), ½(k0 - k1), -k1).
fn expandPair(p: Pair) -> Row {
  return Row(p.k0, 0.5 * (p.k0 + p.k1), 0.5 * (p.k0 - p.k1), -p.k1);
}

// Row r of U' = (G' g) G'ᵀ, written to ug[4r + j, t, c].
fn storeUG(r: u32, gg: Pair, t: u32, c: u32) {
  let row = expandPair(gg);
  let base = 4u * r * T + t;
  ug[base * CC + c] = row.j0;
  ug[(base + T) * CC + c] = row.j1;
  ug[(base + 2u * T) * CC + c] = row.j2;
  ug[(base + 3u * T) * CC + c] = row.j3;
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
  // G' g, row by row.
  storeUG(0u, g0, t, c);
  storeUG(1u, Pair(0.5 * (g0.k0 + g1.k0), 0.5 * (g0.k1 + g1.k1)), t, c);
  storeUG(2u, Pair(0.5 * (g0.k0 - g1.k0), 0.5 * (g0.k1 - g1.k1)), t, c);
  storeUG(3u, Pair(-g1.k0, -g1.k1), t, c);
}

@group(0) @binding(0) var<storage, read> mg: array<Chunk>;
@group(0) @binding(1) var<storage, read_write> dw: array<Chunk>;

// M[ξ] at (ci, c), summed over the slices of the tiles.
fn productSum(xi: u32, ci: u32, c: u32) -> Chunk {
  var sum = Chunk();
  for (var s = 0u; s < SPLITS; s++) {
    sum += mg[((xi * SPLITS + s) * CIN + ci) * CC + c];
  }
  return sum;
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
