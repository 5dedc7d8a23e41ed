// Inverted dropout, forward and backward, with a counter-based random mask that is never
// stored: each element's keep/drop bit comes from randomBits (shaders/random.wgsl, appended
// to this text) of (step, seed, LAYER_SEED, element index), so the backward pass regenerates
// exactly the forward's mask.
//
// Forward:  y  = x  · mask / (1 − rate).   Backward: dX = dY · mask / (1 − rate).
// The two are the same map from `input` to `output`, so one entry point serves both.
//
// An element is dropped when bits < DROP_THRESHOLD = round(rate · 2³²).
// src/reference/dropout.ts computes the same bits in TypeScript.
//
// SpatialDropout2D (SPATIAL_PIXELS = H·W of NHWC images, CHANNELS = C) drops whole feature
// maps: every pixel of channel c of sample n takes the bits of index n·C + c.
//
// AlphaDropout's forward (alphaDropout) keeps SELU's mean and variance: kept values become
// KEEP_SCALE·x + OFFSET (Keras' a·x + b), dropped ones DROPPED (a·α' + b, α' = −λα of SELU);
// its backward is `dropout` with KEEP_SCALE = a.
//
// Bindings (COUNT elements each, any shape, flattened):
//   0 stepInfo: (4) u32 = [step, seed, 0, 0] (declared in shaders/random.wgsl)
//   1 input:  (COUNT)  x (forward) or dY (backward)
//   2 output: (COUNT)  y (forward) or dX (backward)
//
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG).

override COUNT: u32;
override WG: u32 = 256u;
override LAYER_SEED: u32 = 0u;
override DROP_THRESHOLD: u32;
override KEEP_SCALE: f32;  // 1 / (1 − rate)
override SPATIAL_PIXELS: u32 = 0u;  // 0: a bit per element; else a bit per (sample, channel)
override CHANNELS: u32 = 1u;
override OFFSET: f32 = 0.0;   // alphaDropout: added to kept values
override DROPPED: f32 = 0.0;  // alphaDropout: the value of dropped ones

@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

// Whether element i is kept.
fn kept(i: u32) -> bool {
  // (max: no division by zero for plain dropout, whose pipeline folds these constants too)
  let mapSize = max(SPATIAL_PIXELS, 1u) * CHANNELS;
  let index = select(i, (i / mapSize) * CHANNELS + i % CHANNELS, SPATIAL_PIXELS > 0u);
  return randomBits(index, LAYER_SEED) >= DROP_THRESHOLD;
}

@compute @workgroup_size(WG)
fn dropout(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  output[i] = select(0.0, input[i] * KEEP_SCALE, kept(i));
}

@compute @workgroup_size(WG)
fn alphaDropout(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  output[i] = select(DROPPED, input[i] * KEEP_SCALE + OFFSET, kept(i));
}
