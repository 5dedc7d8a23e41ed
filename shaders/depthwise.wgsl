// Depthwise convolution (Keras' DepthwiseConv2D): each input channel c convolved with its own
// DM filters, output channel o = c·DM + m, over the window geometry of shaders/window.wgsl
// (appended to this text; strides, dilation, padding as for Conv2D):
//
//   forward:        y[n, oh, ow, o]  = Σ_{kh, kw} x[n, h, w, c]·K[kh, kw, c, m] (+ bias[o]),
//                   h = oh·SH − PAD_TOP + kh·DH, w = ow·SW − PAD_LEFT + kw·DW (taps in the padding skipped)
//   inputGradient:  dX[n, h, w, c]   = Σ_m Σ over the windows with a tap on (h, w) of dZ[n, oh, ow, o]·K[kh, kw, c, m]
//                   (gathered as col2im gathers, in a fixed order: no atomics)
//   kernelPartials: P[chunk, j]      = Σ over the ROWS_PER_CHUNK output pixels (n, oh, ow) of the
//                   chunk of dZ[n, oh, ow, o]·x[n, h, w, c], j = ((kh·KW + kw)·C + c)·DM + m;
//                   their column sums (src/kernels/column-sum.ts) are dK.
//
// Bindings (f32):
//   forward:        x: (N, H, W, C)   kernel: (KH, KW, C, DM)   bias: (C·DM)   out = y: (N, OH, OW, C·DM)
//   inputGradient:  dZ: (N, OH, OW, C·DM)   kernel   out = dX: (N, H, W, C)
//   kernelPartials: x   dZ   out = P: (CHUNKS, KH·KW·C·DM)
//
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG), one per output value.

// One channel per invocation (shaders/window.wgsl's CC = C / CHUNK).
const CHUNK = 1u;

override DM: u32;
override HAS_BIAS: u32 = 1u;
override ROWS_PER_CHUNK: u32 = 128u;
override CHUNKS: u32 = 1u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> kernel: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<storage, read> dZ: array<f32>;

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let outputs = C * DM;
  if (i >= N * OH * OW * outputs) { return; }
  let o = i % outputs;
  let c = o / DM;
  let m = o % DM;
  let ow = (i / outputs) % OW;
  let oh = (i / (outputs * OW)) % OH;
  let n = i / (outputs * OW * OH);
  var sum = 0.0;
  if (HAS_BIAS == 1u) { sum = bias[o]; }
  for (var kh = 0u; kh < KH; kh++) {
    let h = i32(oh * SH + kh * DH) - i32(PAD_TOP);
    if (h < 0 || h >= i32(H)) { continue; }
    for (var kw = 0u; kw < KW; kw++) {
      let w = i32(ow * SW + kw * DW) - i32(PAD_LEFT);
      if (w < 0 || w >= i32(W)) { continue; }
      sum += x[((n * H + u32(h)) * W + u32(w)) * C + c] * kernel[((kh * KW + kw) * C + c) * DM + m];
    }
  }
  out[i] = sum;
}

@compute @workgroup_size(WG)
fn inputGradient(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * H * W * C) { return; }
  let c = i % C;
  let w = (i / C) % W;
  let h = (i / (C * W)) % H;
  let n = i / (C * W * H);
  let hp = h + PAD_TOP;
  let wp = w + PAD_LEFT;
  let ohLast = lastWindow(hp, SH, OH);
  let owLast = lastWindow(wp, SW, OW);
  var sum = 0.0;
  for (var oh = firstWindow(hp, SPAN_H, SH); oh <= ohLast; oh++) {
    let kh = tapAt(hp, oh, SH, DH);
    if (kh == NO_TAP) { continue; }
    for (var ow = firstWindow(wp, SPAN_W, SW); ow <= owLast; ow++) {
      let kw = tapAt(wp, ow, SW, DW);
      if (kw == NO_TAP) { continue; }
      let base = ((n * OH + oh) * OW + ow) * C * DM + c * DM;
      for (var m = 0u; m < DM; m++) {
        sum += dZ[base + m] * kernel[((kh * KW + kw) * C + c) * DM + m];
      }
    }
  }
  out[i] = sum;
}

@compute @workgroup_size(WG)
fn kernelPartials(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  let taps = KH * KW * C * DM;
  if (i >= CHUNKS * taps) { return; }
  let j = i % taps;
  let chunk = i / taps;
  let m = j % DM;
  let c = (j / DM) % C;
  let kw = (j / (DM * C)) % KW;
  let kh = j / (DM * C * KW);
  let rows = N * OH * OW;
  var sum = 0.0;
  for (var r = chunk * ROWS_PER_CHUNK; r < min(rows, (chunk + 1u) * ROWS_PER_CHUNK); r++) {
    let ow = r % OW;
    let oh = (r / OW) % OH;
    let n = r / (OW * OH);
    let h = i32(oh * SH + kh * DH) - i32(PAD_TOP);
    let w = i32(ow * SW + kw * DW) - i32(PAD_LEFT);
    if (h < 0 || h >= i32(H) || w < 0 || w >= i32(W)) { continue; }
    sum += dZ[r * C * DM + c * DM + m] * x[((n * H + u32(h)) * W + u32(w)) * C + c];
  }
  out[i] = sum;
}
