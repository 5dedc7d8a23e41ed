// 2-D max and average pooling over NHWC, forward and backward (Keras MaxPooling2D /
// AveragePooling2D).
//
// Output pixel (n, oh, ow) pools channel by channel over the window of input pixels
//   h = oh*SH - PAD_TOP + ph,  w = ow*SW - PAD_LEFT + pw,  0 ≤ ph < KH, 0 ≤ pw < KW,
// clipped to the input: padding cells take no part. (The geometry guarantees every window
// holds at least one input pixel.)
//
// Max: y is the window's largest value; argmax records where it was, as the flat NHWC index
// ((n*H + h)*W + w)*C + c into x. Ties go to the first in (h, w) order. When RELU_INPUT (x is
// the output of a ReLU whose backward is fused here), a maximum ≤ 0 records NO_INDEX instead:
// ReLU's slope there is 0, so its window passes no gradient, and the backward below applies
// ReLU's backward for free.
//
// Two backward kernels with one result (src/kernels/pool.ts chooses by timing):
// - maxBackward gathers: one invocation per dX element sums dY over the windows that cover its
//   pixel and whose argmax is this very element, so overlapping windows (stride < pool) add
//   up. Any geometry.
// - maxBackwardScatter: one invocation per output element writes its dY to its argmax and 0 to
//   every other element of its cell: the window's rows [oh*SH - PAD_TOP, (oh+1)*SH - PAD_TOP)
//   clipped to the input, the last cell reaching to the input's end (the rows a 'valid' floor
//   leaves out), and likewise for columns. Cells partition dX only when windows do not overlap
//   (SH ≥ KH and SW ≥ KW), the only case it is used for. It reads dY and argmax once per
//   output instead of once per window covering each input.
// Both write every element of dX (0 where no window took its max): no clearing, no atomics.
//
// Average: y is the mean over the window's input pixels only (Keras/TF 'same' excludes the
// padding from the count). Backward: dX[n,h,w,c] = Σ over covering windows of dY / count.
//
// Channels move in chunks of CHUNK: the arrays are read as arrays of Chunk, f32 or (when C is a
// multiple of 4) vec4f, with matching ChunkIndex u32 or vec4u for argmax, and each invocation
// handles one chunk (LANES: the channel offsets within a chunk). The block between the CHUNK
// markers is the scalar form; src/kernels/pool.ts swaps in the vec4 form.
//
// Bindings (shapes in elements; CC = C / CHUNK chunks per pixel):
//   maxForward:  x: (N, H, W, C)     y: (N, OH, OW, C)  argmax: (N, OH, OW, C) u32
//   maxBackward, maxBackwardScatter: dY: (N, OH, OW, C)  dX: (N, H, W, C)  argmax: (N, OH, OW, C) u32
//   avgForward:  x: (N, H, W, C)     y: (N, OH, OW, C)
//   avgBackward: dY: (N, OH, OW, C)  dX: (N, H, W, C)
//
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG); forward passes and the scatter backward run one per
// chunk of y, the other backward passes one per chunk of dX.

// The argmax of a window whose gradient is cut (RELU_INPUT and a maximum ≤ 0).
const NO_INDEX = 0xffffffffu;
override RELU_INPUT: bool = false;

// BEGIN CHUNK
alias Chunk = f32;
alias ChunkIndex = u32;
const LANES = ChunkIndex(0u);
const CHUNK = 1u;
// END CHUNK

// The window geometry (N, H, W, C, KH, KW, SH, SW, PAD_TOP, PAD_LEFT, OH, OW, WG, CC; the
// pool is KH×KW) is declared in shaders/window.wgsl.

// A window clipped to the input: rows [h0, h1), columns [w0, w1).
struct Window {
  h0: u32,
  h1: u32,
  w0: u32,
  w1: u32,
}

fn window(oh: u32, ow: u32) -> Window {
  let top = i32(oh * SH) - i32(PAD_TOP);
  let left = i32(ow * SW) - i32(PAD_LEFT);
  return Window(
    u32(max(top, 0)),
    u32(min(top + i32(KH), i32(H))),
    u32(max(left, 0)),
    u32(min(left + i32(KW), i32(W))),
  );
}

fn windowCount(win: Window) -> f32 {
  return f32((win.h1 - win.h0) * (win.w1 - win.w0));
}

// Chunk index into x or dX: (N, H, W, CC) of pixel (n, h, w), channel chunk c.
fn inputChunk(n: u32, h: u32, w: u32, c: u32) -> u32 {
  return ((n * H + h) * W + w) * CC + c;
}

// Chunk index into y or dY: (N, OH, OW, CC) of pixel (n, oh, ow), channel chunk c.
fn outputChunk(n: u32, oh: u32, ow: u32, c: u32) -> u32 {
  return ((n * OH + oh) * OW + ow) * CC + c;
}

// Output pixel (n, oh, ow) and channel chunk c of chunk index i into y: (N, OH, OW, CC).
fn outputPosition(i: u32) -> vec4u {
  return vec4u(i / (CC * OW * OH), (i / (CC * OW)) % OH, (i / CC) % OW, i % CC);
}

// Input pixel (n, h, w) and channel chunk c of chunk index i into x or dX: (N, H, W, CC).
fn inputPosition(i: u32) -> vec4u {
  return vec4u(i / (CC * W * H), (i / (CC * W)) % H, (i / CC) % W, i % CC);
}

// The flat element indices into x of the channels of chunk index i.
fn elementIndex(i: u32) -> ChunkIndex {
  return ChunkIndex(i * CHUNK) + LANES;
}

@group(0) @binding(0) var<storage, read> x: array<Chunk>;
@group(0) @binding(1) var<storage, read_write> y: array<Chunk>;
@group(0) @binding(2) var<storage, read_write> argmaxOut: array<ChunkIndex>;

@compute @workgroup_size(WG)
fn maxForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * OH * OW * CC) { return; }
  let pos = outputPosition(i);
  let win = window(pos.y, pos.z);
  let first = inputChunk(pos.x, win.h0, win.w0, pos.w);
  var best = x[first];
  var bestIndex = elementIndex(first);
  for (var h = win.h0; h < win.h1; h++) {
    for (var w = win.w0; w < win.w1; w++) {
      let index = inputChunk(pos.x, h, w, pos.w);
      let value = x[index];
      let better = value > best;
      best = select(best, value, better);
      bestIndex = select(bestIndex, elementIndex(index), better);
    }
  }
  if (RELU_INPUT) { bestIndex = select(bestIndex, ChunkIndex(NO_INDEX), best <= Chunk()); }
  y[i] = best;
  argmaxOut[i] = bestIndex;
}

@group(0) @binding(0) var<storage, read> dY: array<Chunk>;
@group(0) @binding(1) var<storage, read_write> dX: array<Chunk>;
@group(0) @binding(2) var<storage, read> argmaxIn: array<ChunkIndex>;

@compute @workgroup_size(WG)
fn maxBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * H * W * CC) { return; }
  let pos = inputPosition(i);
  let own = elementIndex(i);
  let hp = pos.y + PAD_TOP;
  let wp = pos.z + PAD_LEFT;
  let ohLast = lastWindow(hp, SH, OH);
  let owLast = lastWindow(wp, SW, OW);
  var sum = Chunk();
  for (var oh = firstWindow(hp, KH, SH); oh <= ohLast; oh++) {
    for (var ow = firstWindow(wp, KW, SW); ow <= owLast; ow++) {
      let o = outputChunk(pos.x, oh, ow, pos.w);
      sum += select(Chunk(), dY[o], argmaxIn[o] == own);
    }
  }
  dX[i] = sum;
}

@compute @workgroup_size(WG)
fn maxBackwardScatter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * OH * OW * CC) { return; }
  let pos = outputPosition(i);
  let cell = scatterCell(pos.y, pos.z);
  let d = dY[i];
  let taken = argmaxIn[i];
  for (var h = cell.h0; h < cell.h1; h++) {
    for (var w = cell.w0; w < cell.w1; w++) {
      let index = inputChunk(pos.x, h, w, pos.w);
      dX[index] = select(Chunk(), d, taken == elementIndex(index));
    }
  }
}

// The cell of output pixel (oh, ow) in the scatter backward: its window's stride-sized span,
// clipped to the input, the last row and column of cells reaching to the input's end.
fn scatterCell(oh: u32, ow: u32) -> Window {
  let top = i32(oh * SH) - i32(PAD_TOP);
  let left = i32(ow * SW) - i32(PAD_LEFT);
  let bottom = select(min(top + i32(SH), i32(H)), i32(H), oh == OH - 1u);
  let right = select(min(left + i32(SW), i32(W)), i32(W), ow == OW - 1u);
  return Window(u32(max(top, 0)), u32(bottom), u32(max(left, 0)), u32(right));
}

@compute @workgroup_size(WG)
fn avgForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * OH * OW * CC) { return; }
  let pos = outputPosition(i);
  let win = window(pos.y, pos.z);
  var sum = Chunk();
  for (var h = win.h0; h < win.h1; h++) {
    for (var w = win.w0; w < win.w1; w++) {
      sum += x[inputChunk(pos.x, h, w, pos.w)];
    }
  }
  y[i] = sum / windowCount(win);
}

@compute @workgroup_size(WG)
fn avgBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * H * W * CC) { return; }
  let pos = inputPosition(i);
  let hp = pos.y + PAD_TOP;
  let wp = pos.z + PAD_LEFT;
  let ohLast = lastWindow(hp, SH, OH);
  let owLast = lastWindow(wp, SW, OW);
  var sum = Chunk();
  for (var oh = firstWindow(hp, KH, SH); oh <= ohLast; oh++) {
    for (var ow = firstWindow(wp, KW, SW); ow <= owLast; ow++) {
      sum += dY[outputChunk(pos.x, oh, ow, pos.w)] / windowCount(window(oh, ow));
    }
  }
  dX[i] = sum;
}
