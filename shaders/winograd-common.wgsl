// What the two Winograd shaders share (winograd.wgsl, F(2×2, 3×3), and winograd4.wgsl,
// F(4×4, 3×3); src/kernels/winograd.ts puts this text before each): the tile geometry, the
// bindings of every entry point, and the reads and writes that do not depend on the tile's size.
//
// A 3×3, stride-1 convolution over an NHWC batch as A² independent matrix products, A = TILE + 2
// (src/kernels/winograd.ts runs them as one batched matmul). The output is cut into
// TILE×TILE tiles; tile (n, th, tw) reads the A×A input patch whose top-left pixel is
// (TILE·th - PAD_TOP, TILE·tw - PAD_LEFT), zero outside the input. Per tile and channel
//   V = Bᵀ d B     (input transform, d: the A×A patch)
// per input channel ci and output channel co
//   U = G g Gᵀ     (weight transform, g: the 3×3 kernel W[:, :, ci, co])
// then for each of the A² positions ξ = A·i + j of the transformed tile
//   M[ξ] = V[ξ] · U[ξ]     (tiles × CIN) · (CIN × COUT), the matmul
// and per tile and output channel
//   Y = Aᵀ M A     (output transform, the TILE×TILE outputs; those past OH or OW are not written)
// (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks"). Each shader gives its
// Bᵀ, G and Aᵀ. The kernel is transformed once per step (it changes with every update).
//
// The input gradient of such a convolution is one too: dX is the 3×3 stride-1 convolution of dY
// with the kernel rotated by 180° and CIN/COUT swapped, padded by 2 - PAD_TOP above and
// 2 - PAD_LEFT left; weightTransform's FLIP writes that kernel's U.
//
// The weight gradient dW[kh, kw, ci, co] = Σ_{n,y,x} x̂[n, y + kh, x + kw, ci] · dZ[n, y, x, co]
// (x̂ padded) is a correlation with a 3×3 output and a TILE×TILE "filter" per tile of dZ, the
// forward's output tiling: tile t pairs with the forward's A×A input tile, whose transform
// V = Bᵀ d B is the forward's own. Per tile and dZ channel
//   U' = G' g G'ᵀ  (gradientTransform, g: the TILE×TILE tile of dZ, 0 past OH or OW)
// the A² products M[ξ] = V[ξ]ᵀ · U'[ξ], (CIN × T) · (T × COUT), summed over the tiles (the
// batched matmul, its K = T cut into SPLITS slices run as entries of their own), and per (ci, co)
//   dW = A'ᵀ (Σ_slices M) A'   (weightGradientOutput, 3×3)
// The same trilinear form Σ dZ ⊙ conv(x, W) gives G' and A'ᵀ from the forward's matrices: G' is A
// and A'ᵀ is Gᵀ, up to scalings moved between them.
//
// Bindings (f32 elements; Chunk is f32, or vec4f over 4 channels when C % 4 == 0):
//   inputTransform:        x: (N, IH, IW, C)        transformed, V: (A², T, C)    T = N·TH·TW tiles
//   weightTransform:       w: (3, 3, CIN, COUT)     u: (A², CIN, COUT), (A², COUT, CIN) when FLIP
//                          (CIN and COUT are the stored kernel's, the layer's own, in both cases)
//   outputTransform:       m: (A², T, C)            y: (N, OH, OW, C)
//                          biasOrMask: bias (C) when HAS_BIAS (then ReLU when RELU), or when
//                          RELU_MASK the previous ReLU's output (N, OH, OW, C): y = 0 where it is ≤ 0
//   gradientTransform:     dz: (N, OH, OW, C)       transformed, U': (A², T, C)   C = COUT
//   weightGradientOutput:  mg: (A², SPLITS, CIN, C) dw: (3, 3, CIN, C)   one per (ci, chunk)
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
override SPLITS: u32 = 1u;
override WG: u32 = 64u;

// TILE, the output tile's side, is each shader's constant.
override TH: u32 = (OH + TILE - 1u) / TILE;
override TW: u32 = (OW + TILE - 1u) / TILE;
override T: u32 = N * TH * TW;
override CC: u32 = C / CHUNK;

@group(0) @binding(0) var<storage, read> x: array<Chunk>;
// The transformed tiles (A², T, C): V, from the input transform, or U', from the gradient transform.
@group(0) @binding(1) var<storage, read_write> transformed: array<Chunk>;

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> u: array<f32>;

@group(0) @binding(0) var<storage, read> m: array<Chunk>;
@group(0) @binding(1) var<storage, read_write> y: array<Chunk>;
// The bias (C) when HAS_BIAS; when RELU_MASK, the input of the convolution whose input gradient
// this is, the output of a ReLU whose backward is applied here (N, OH, OW, C); else unread.
@group(0) @binding(2) var<storage, read> biasOrMask: array<Chunk>;

@group(0) @binding(0) var<storage, read> dz: array<Chunk>;

@group(0) @binding(0) var<storage, read> mg: array<Chunk>;
@group(0) @binding(1) var<storage, read_write> dw: array<Chunk>;

// Where tile t's output pixels start: (image n, row, col) of its top-left one. The input
// transform reads its A×A patch from there, less the padding.
fn tileOrigin(t: u32) -> vec3u {
  return vec3u(t / (TW * TH), TILE * ((t / TW) % TH), TILE * (t % TW));
}

// The input pixel (row, col) of image n, chunk c; zero in the padding.
fn inputAt(n: u32, row: i32, col: i32, c: u32) -> Chunk {
  if (row < 0 || row >= i32(IH) || col < 0 || col >= i32(IW)) { return Chunk(); }
  return x[((n * IH + u32(row)) * IW + u32(col)) * CC + c];
}

// Row kh of the kernel g, over kw: W[kh, kw, ci, co], or W[2 - kh, 2 - kw, ci, co] when FLIP.
fn kernelRow(kh: u32, ci: u32, co: u32) -> vec3f {
  let h = select(kh, 2u - kh, FLIP);
  let base = h * 3u * CIN * COUT + ci * COUT + co;
  let row = vec3f(w[base], w[base + CIN * COUT], w[base + 2u * CIN * COUT]);
  return select(row, row.zyx, FLIP);
}

// U[ξ]'s row and column for kernel entry (ci, co): (ci, co), or (co, ci) for the input gradient.
fn weightAt(ci: u32, co: u32) -> u32 {
  return select(ci * COUT + co, co * CIN + ci, FLIP);
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

// Writes tile value `value` to output pixel (row, col) of image n, chunk c, unless it lies past
// the output's edge (a tile at the bottom or right when OH or OW is not a multiple of TILE).
fn storeOutput(n: u32, row: u32, col: u32, c: u32, value: Chunk) {
  if (row >= OH || col >= OW) { return; }
  let at = outputAt(n, row, col, c);
  y[at] = finish(at, value, c);
}

// dZ pixel (row, col) of image n, chunk c; zero past the output's edge.
fn gradientAt(n: u32, row: u32, col: u32, c: u32) -> Chunk {
  if (row >= OH || col >= OW) { return Chunk(); }
  return dz[outputAt(n, row, col, c)];
}

// M[ξ] at (ci, c), summed over the slices of the tiles.
fn productSum(xi: u32, ci: u32, c: u32) -> Chunk {
  var sum = Chunk();
  for (var s = 0u; s < SPLITS; s++) {
    sum += mg[((xi * SPLITS + s) * CIN + ci) * CC + c];
  }
  return sum;
}
