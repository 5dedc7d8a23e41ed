// Zero padding and cropping of NHWC images: one window copy serves both, forward and
// backward. Output pixel (n, i, j, c) takes input pixel (n, i − TOP, j − LEFT, c) when that lies
// inside the input, else 0:
//   ZeroPadding2D forward: TOP, LEFT ≥ 0 (the padding); its backward: −TOP, −LEFT (a crop)
//   Cropping2D forward:   TOP, LEFT ≤ 0 (minus the cropping); its backward: the opposite (a pad)
//
// Bindings:
//   input:  (BATCH, IN_H, IN_W, CHANNELS)
//   output: (BATCH, OUT_H, OUT_W, CHANNELS), one invocation per element
//
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG).

override BATCH: u32;
override IN_H: u32;
override IN_W: u32;
override OUT_H: u32;
override OUT_W: u32;
override CHANNELS: u32;
override TOP: i32;
override LEFT: i32;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;

@compute @workgroup_size(WG)
fn shift(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let index = gid.x + gid.y * nwg.x * WG;
  if (index >= BATCH * OUT_H * OUT_W * CHANNELS) { return; }
  let c = index % CHANNELS;
  let j = (index / CHANNELS) % OUT_W;
  let i = (index / (CHANNELS * OUT_W)) % OUT_H;
  let n = index / (CHANNELS * OUT_W * OUT_H);
  let y = i32(i) - TOP;
  let x = i32(j) - LEFT;
  var value = 0.0;
  if (y >= 0 && y < i32(IN_H) && x >= 0 && x < i32(IN_W)) {
    value = input[((n * IN_H + u32(y)) * IN_W + u32(x)) * CHANNELS + c];
  }
  output[index] = value;
}
