// Direct convolution for windows of few taps (KH·KW·C = TAPS ≤ 16, a first conv layer on
// one-channel images): the forward and the weight and bias gradients without im2col. Through
// im2col such a conv is a matmul with K = TAPS (78400×16×4 for a 2×2 conv on MNIST), which
// spends its time writing and re-reading the col matrix and in the matmul's per-k overhead;
// here each invocation reads its taps of x straight from the image and keeps a block of
// outputs in registers. src/kernels/conv-direct.ts appends shaders/window.wgsl (the geometry
// constants N, H, W, C, KH, KW, SH, SW, PAD_TOP, PAD_LEFT, OH, OW, WG).
//
// forward: y[r, f] = act(bias[f] + Σ_t tap(r, t)·w[t, f]), r = (n·OH + oh)·OW + ow the output
//   pixel, t = (kh·KW + kw)·C + c the tap (im2col's column order), tap(r, t) = x[n, h, w, c]
//   with h = oh·SH - PAD_TOP + kh, w = ow·SW - PAD_LEFT + kw, 0 in the padding. One invocation
//   per PIXELS consecutive pixels × one vec4 of filters: the PIXELS·TAPS reads of x serve 4
//   filters each, each vec4 of w serves PIXELS pixels.
// weightPartials: dW[t, f] = Σ_r tap(r, t)·dZ[r, f] and db[f] = Σ_r dZ[r, f], split over rows:
//   invocation (chunk, g) sums rows [chunk·ROWS_PER_CHUNK, …) for filters 4g..4g+3 into
//   partials[chunk, t, 4g..] (t < TAPS) and partials[chunk, TAPS, 4g..] (the bias row).
// weightFinish: sums the chunks: dW[t, f] = Σ_chunk partials[chunk, t, f], db likewise.
//
// Filters go four at a time as vec4 (F % 4 == 0, FV = F / 4).
//
// Bindings (f32 elements):
//   forward:        x: (N, H, W, C)  w: (TAPS, F)  bias: (F) (a stand-in without HAS_BIAS)  y: (N·OH·OW, F)
//   weightPartials: x: (N, H, W, C)  dZ: (N·OH·OW, F)  partials: (CHUNKS, TAPS + 1, F)
//   weightFinish:   partials: (CHUNKS, TAPS + 1, F)  dW: (TAPS, F)  db: (F) (a stand-in without HAS_BIAS)
//
// Invocations: flat index gid.x + gid.y·(nwg.x·WG), laid out by grid() in src/runtime/dispatch.ts.

override F: u32;
override TAPS: u32 = KH * KW * C;
override FV: u32 = F / 4u;
override ROWS: u32 = N * OH * OW;
override HAS_BIAS: bool = false;
override RELU: bool = false;
override ROWS_PER_CHUNK: u32 = 128u;
override CHUNKS: u32 = (ROWS + ROWS_PER_CHUNK - 1u) / ROWS_PER_CHUNK;

// One channel per chunk (shaders/window.wgsl derives CC from it; x is read one value at a time).
const CHUNK = 1u;
// Output pixels per forward invocation.
const PIXELS = 4u;
// The most taps the private arrays below hold (src/kernels/conv-direct.ts checks TAPS against it).
const MAX_TAPS = 16u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<vec4f>;
@group(0) @binding(2) var<storage, read> bias: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4f>;

// x's flat index of output pixel `row`'s tap t, or -1 where the tap falls in the padding.
fn tapIndex(row: u32, t: u32) -> i32 {
  let ow = row % OW;
  let oh = (row / OW) % OH;
  let n = row / (OW * OH);
  let c = t % C;
  let kw = (t / C) % KW;
  let kh = t / (C * KW);
  let h = i32(oh * SH + kh) - i32(PAD_TOP);
  let wi = i32(ow * SW + kw) - i32(PAD_LEFT);
  if (h < 0 || h >= i32(H) || wi < 0 || wi >= i32(W)) { return -1; }
  return ((i32(n) * i32(H) + h) * i32(W) + wi) * i32(C) + i32(c);
}

fn tap(row: u32, t: u32) -> f32 {
  let i = tapIndex(row, t);
  if (i < 0) { return 0.0; }
  return x[u32(i)];
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let flat = gid.x + gid.y * nwg.x * WG;
  let pixelBlocks = (ROWS + PIXELS - 1u) / PIXELS;
  if (flat >= pixelBlocks * FV) { return; }
  // Neighbouring invocations take neighbouring filter vectors of the same pixels.
  let g = flat % FV;
  let row0 = (flat / FV) * PIXELS;
  var start = vec4f();
  if (HAS_BIAS) { start = bias[g]; }
  var acc = array<vec4f, PIXELS>(start, start, start, start);
  // Rows past the end are clamped for reading and skipped for writing.
  let rows = vec4u(row0, min(row0 + 1u, ROWS - 1u), min(row0 + 2u, ROWS - 1u), min(row0 + 3u, ROWS - 1u));
  for (var t = 0u; t < TAPS; t++) {
    let weights = w[t * FV + g];
    acc[0] += tap(rows[0], t) * weights;
    acc[1] += tap(rows[1], t) * weights;
    acc[2] += tap(rows[2], t) * weights;
    acc[3] += tap(rows[3], t) * weights;
  }
  for (var p = 0u; p < PIXELS; p++) {
    if (row0 + p >= ROWS) { break; }
    var out = acc[p];
    if (RELU) { out = max(out, vec4f()); }
    y[(row0 + p) * FV + g] = out;
  }
}

@group(0) @binding(1) var<storage, read> dZ: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> partials: array<vec4f>;

@compute @workgroup_size(WG)
fn weightPartials(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let flat = gid.x + gid.y * nwg.x * WG;
  if (flat >= CHUNKS * FV) { return; }
  let g = flat % FV;
  let chunk = flat / FV;
  let first = chunk * ROWS_PER_CHUNK;
  let last = min(first + ROWS_PER_CHUNK, ROWS);
  // sums[t] for the taps, sums[MAX_TAPS] for the bias.
  var sums = array<vec4f, MAX_TAPS + 1u>();
  for (var r = first; r < last; r++) {
    let d = dZ[r * FV + g];
    sums[MAX_TAPS] += d;
    for (var t = 0u; t < TAPS; t++) {
      sums[t] += tap(r, t) * d;
    }
  }
  let base = chunk * (TAPS + 1u) * FV;
  for (var t = 0u; t < TAPS; t++) {
    partials[base + t * FV + g] = sums[t];
  }
  partials[base + TAPS * FV + g] = sums[MAX_TAPS];
}

@group(0) @binding(0) var<storage, read> finishPartials: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dW: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> db: array<vec4f>;

@compute @workgroup_size(WG)
fn weightFinish(@builtin(global_invocation_id) gid: vec3u) {
  // One invocation per vec4 of (TAPS + 1, F): the taps' rows, then the bias row.
  let i = gid.x;
  if (i >= (TAPS + 1u) * FV) { return; }
  let stride = (TAPS + 1u) * FV;
  var sum = vec4f();
  for (var chunk = 0u; chunk < CHUNKS; chunk++) {
    sum += finishPartials[chunk * stride + i];
  }
  if (i < TAPS * FV) {
    dW[i] = sum;
  } else if (HAS_BIAS) {
    db[i - TAPS * FV] = sum;
  }
}
