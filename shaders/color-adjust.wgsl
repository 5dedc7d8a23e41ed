// Keras' RandomContrast and RandomBrightness at training time, over a batch of NHWC images.
// Each sample n draws one factor f_n, uniform in [LOW, HIGH), from the counter-based random
// bits (random.wgsl, appended by src/kernels/color-adjust.ts): index n in the stream of
// LAYER_SEED, 24 bits giving u in [0, 1) exactly, f_n = LOW + (HIGH − LOW)·u. Then
//   contrast (KIND 0):   y = clip((x − mean) · f_n + mean, MIN_VALUE, MAX_VALUE), mean the
//                        sample's mean of the pixel's channel over the image (channelMeans)
//   brightness (KIND 1): y = clip(x + f_n, MIN_VALUE, MAX_VALUE)
// (Keras' value_range is [MIN_VALUE, MAX_VALUE]; for brightness the caller scales the factor's
// range by its width, as Keras scales its draw.)
//
// Bindings:
//   channelMeans: stepInfo (4) u32 (unused), x (N, H·W, C), means (N, C); one invocation per (n, c)
//   adjust:       stepInfo (4) u32 = [step, seed, 0, 0], x (N, H·W, C), means (N, C) (contrast
//                 only; unread for brightness), y (N, H·W, C); one invocation per element
// Invocations: flat index gid.x + gid.y·(nwg.x·WG) (grid() in src/runtime/dispatch.ts).

override KIND: u32 = 0u;
override N: u32 = 1u;
override PIXELS: u32 = 1u;
override C: u32 = 1u;
override LOW: f32 = 1.0;
override HIGH: f32 = 1.0;
override MIN_VALUE: f32 = 0.0;
override MAX_VALUE: f32 = 255.0;
override LAYER_SEED: u32 = 0u;
override WG: u32 = 64u;

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> means: array<f32>;

@compute @workgroup_size(WG)
fn channelMeans(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * C) { return; }
  let n = i / C;
  let c = i % C;
  var sum = 0.0;
  for (var p = 0u; p < PIXELS; p++) {
    sum += x[(n * PIXELS + p) * C + c];
  }
  means[i] = sum / f32(PIXELS);
}

@group(0) @binding(2) var<storage, read> channelMean: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// Sample n's factor.
fn factor(n: u32) -> f32 {
  let u = f32(randomBits(n, LAYER_SEED) >> 8u) * (1.0 / 16777216.0);
  return LOW + (HIGH - LOW) * u;
}

@compute @workgroup_size(WG)
fn adjust(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= N * PIXELS * C) { return; }
  let n = i / (PIXELS * C);
  let f = factor(n);
  var value: f32;
  if (KIND == 0u) {
    let mean = channelMean[n * C + i % C];
    value = (x[i] - mean) * f + mean;
  } else {
    value = x[i] + f;
  }
  y[i] = clamp(value, MIN_VALUE, MAX_VALUE);
}
