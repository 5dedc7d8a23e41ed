// im2col and col2im: the data movement that turns a convolution into a matrix product.
//
// A KH×KW convolution with strides (SH, SW) and dilation (DH, DW) over an NHWC batch, whose
// input is padded by PAD_TOP rows above and PAD_LEFT columns to the left (the bottom/right
// padding is implied by OH and OW), reads for output pixel (n, oh, ow) the window of input pixels
//   h = oh*SH - PAD_TOP + kh*DH,  w = ow*SW - PAD_LEFT + kw*DW,  0 ≤ kh < KH, 0 ≤ kw < KW.
//
// im2col writes that window as row r = (n*OH + oh)*OW + ow of `col`, column k = (kh*KW + kw)*C + c,
// and 0 where (h, w) falls in the padding. With the HWIO kernel W: (KH, KW, C, COUT) read as a
// (KH*KW*C, COUT) matrix, col × W is the convolution's NHWC output (N, OH, OW, COUT) directly.
// One invocation per element (or chunk, below) of col.
//
// col2im is im2col's adjoint, the convolution's backward to its input: dX[n, h, w, c] is the sum
// of dCol[r, k] over every (r, k) that im2col filled from x[n, h, w, c]. It gathers: one
// invocation per element of dX loops over the windows (oh, ow) whose span reaches its pixel,
// keeping those with a tap on it: kh = (h + PAD_TOP - oh*SH) / DH and kw = (w + PAD_LEFT -
// ow*SW) / DW where DH and DW divide the distances. No atomics; the summation order is fixed
// (oh, then ow, ascending), so the result is deterministic. Pixels that no window covers
// (stride > kernel) get 0, so dX needs no clearing beforehand. col2imReluMasked also applies the
// backward of the ReLU that produced x (dX = 0 where x ≤ 0), reading x once per element, so that
// the ReLU's own backward pass over x's gradient is not needed.
//
// Channels move in chunks of CHUNK: the arrays are read as arrays of Chunk, f32 or (when C is a
// multiple of 4) vec4f, and each invocation handles one chunk. The block between the CHUNK
// markers below is the scalar form; src/kernels/im2col.ts swaps in the vec4 form. Four channels
// per invocation cut the index arithmetic per value by four (about 2.5× faster on SwiftShader
// at MNIST sizes) and keep accesses contiguous across a workgroup.
//
// Bindings (shapes in f32 elements; CC = C / CHUNK chunks per pixel):
//   im2col, im2colFour: x: (N, H, W, C)       col: (N*OH*OW, KH*KW*C)
//   col2im: dCol: (N*OH*OW, KH*KW*C)          dX: (N, H, W, C)
//   col2imReluMasked: the same, and reluOutput = x: (N, H, W, C)
//
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG), one per chunk of the output.

// BEGIN CHUNK
alias Chunk = f32;
const CHUNK = 1u;
// END CHUNK

// The window geometry (N, H, W, C, KH, KW, SH, SW, PAD_TOP, PAD_LEFT, OH, OW, WG, CC) is
// declared in shaders/window.wgsl.

// Chunks per row of col (one per (kh, kw, chunk)).
override KC: u32 = KH * KW * CC;

@group(0) @binding(0) var<storage, read> x: array<Chunk>;
@group(0) @binding(1) var<storage, read_write> col: array<Chunk>;

@compute @workgroup_size(WG)
fn im2col(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * OH * OW * KC) { return; }
  let row = i / KC;
  let k = i % KC;
  let c = k % CC;
  let kw = (k / CC) % KW;
  let kh = k / (CC * KW);
  let ow = row % OW;
  let oh = (row / OW) % OH;
  let n = row / (OW * OH);
  let h = i32(oh * SH + kh * DH) - i32(PAD_TOP);
  let w = i32(ow * SW + kw * DW) - i32(PAD_LEFT);
  var value = Chunk();
  if (h >= 0 && h < i32(H) && w >= 0 && w < i32(W)) {
    value = x[((n * H + u32(h)) * W + u32(w)) * CC + c];
  }
  col[i] = value;
}

// x one value at a time and col as vec4s, for im2colFour (whatever Chunk is).
@group(0) @binding(0) var<storage, read> xValues: array<f32>;
@group(0) @binding(1) var<storage, read_write> colFour: array<vec4f>;

// im2col for a channel count that is not a multiple of 4 (the scalar CHUNK) but a row of col,
// KH·KW·C values, that is (a one-channel image under a 2×2 window: one vec4 a row): each
// invocation writes four consecutive values of a row as one vec4, so that the row's position
// and the store are paid once per four values instead of once per value.
@compute @workgroup_size(WG)
fn im2colFour(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let fours = KC / 4u;
  if (i >= N * OH * OW * fours) { return; }
  let row = i / fours;
  let ow = row % OW;
  let oh = (row / OW) % OH;
  let n = row / (OW * OH);
  let top = i32(oh * SH) - i32(PAD_TOP);
  let left = i32(ow * SW) - i32(PAD_LEFT);
  var value = vec4f();
  for (var j = 0u; j < 4u; j++) {
    let k = (i % fours) * 4u + j;
    let h = top + i32(k / (C * KW) * DH);
    let w = left + i32((k / C) % KW * DW);
    if (h >= 0 && h < i32(H) && w >= 0 && w < i32(W)) {
      value[j] = xValues[((n * H + u32(h)) * W + u32(w)) * C + k % C];
    }
  }
  colFour[i] = value;
}

@group(0) @binding(0) var<storage, read> dCol: array<Chunk>;
@group(0) @binding(1) var<storage, read_write> dX: array<Chunk>;

@compute @workgroup_size(WG)
fn col2im(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * H * W * CC) { return; }
  dX[i] = gatherColumns(i);
}

// x, the convolution's input, when it is the output of a ReLU whose backward is fused here.
@group(0) @binding(2) var<storage, read> reluOutput: array<Chunk>;

// col2im followed by that ReLU's backward: dX = col2im(dCol) where x > 0, else 0.
@compute @workgroup_size(WG)
fn col2imReluMasked(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * H * W * CC) { return; }
  dX[i] = select(Chunk(), gatherColumns(i), reluOutput[i] > Chunk());
}

// The sum of dCol over every entry im2col copied from chunk i of x: (N, H, W, CC).
fn gatherColumns(i: u32) -> Chunk {
  let c = i % CC;
  let w = (i / CC) % W;
  let h = (i / (CC * W)) % H;
  let n = i / (CC * W * H);
  let hp = h + PAD_TOP;
  let wp = w + PAD_LEFT;
  let ohLast = lastWindow(hp, SH, OH);
  let owLast = lastWindow(wp, SW, OW);
  var sum = Chunk();
  for (var oh = firstWindow(hp, SPAN_H, SH); oh <= ohLast; oh++) {
    let kh = tapAt(hp, oh, SH, DH);
    if (kh == NO_TAP) { continue; }
    for (var ow = firstWindow(wp, SPAN_W, SW); ow <= owLast; ow++) {
      let kw = tapAt(wp, ow, SW, DW);
      if (kw == NO_TAP) { continue; }
      let row = (n * OH + oh) * OW + ow;
      sum += dCol[row * KC + (kh * KW + kw) * CC + c];
    }
  }
  return sum;
}
