// Random affine transforms of NHWC images, Keras' RandomRotation, RandomZoom and
// RandomTranslation at training time, in two passes (src/kernels/affine-transform.ts):
//
// sampleTransforms: one invocation per sample draws the sample's parameters from randomBits
//   (shaders/random.wgsl, appended to this text) of (step, seed, LAYER_SEED, 2·sample + j) and
//   writes Keras' map for it, as RandomRotation._compute_affine_matrix,
//   RandomZoom._get_zoom_matrix and RandomTranslation._get_translation_matrix build it:
//   8 floats [a0 a1 a2 b0 b1 b2 0 0], the output pixel (x, y) reading the input at
//   (a0·x + a1·y + a2, b0·x + b1·y + b2). A draw is LOW + (HIGH − LOW)·u, u uniform in [0, 1).
//     KIND 0, rotation: angle θ from draw 0 (LOW0, HIGH0 in radians), about the centre
//       ((W − 1)/2, (H − 1)/2): [cos θ, −sin θ, .., sin θ, cos θ, ..].
//     KIND 1, zoom: height zoom from draw 0, width zoom from draw 1 (or the height's when
//       SAME_ZOOM), about the centre: [zw, 0, (W − 1)/2·(1 − zw), 0, zh, (H − 1)/2·(1 − zh)].
//     KIND 2, translation: dy = draw 0 · H, dx = draw 1 · W: [1, 0, −dx, 0, 1, −dy].
//     KIND 3, flip (Keras' RandomFlip): when draw 0 ≤ ½ (LOW0 = 0, HIGH0 = 1), the columns
//       reversed if FLIP_COLUMNS, the rows if FLIP_ROWS, both on the one draw as in Keras:
//       [−1, 0, W − 1, 0, 1, 0], [1, 0, 0, 0, −1, H − 1]; else the identity. Its taps land on
//       pixels exactly, so a bilinear or nearest pass reads each unchanged.
//
// affineTransform: one invocation per output value: reads its sample's map and samples the
//   input there as keras.ops.image.affine_transform does (JAX backend:
//   jax.scipy.ndimage.map_coordinates): NEAREST, the pixel at the rounded coordinates (half
//   away from zero), or bilinear, the four around them weighted; a tap outside the image
//   reads per FILL_MODE: 0 reflect (d c b a | a b c d | d c b a), 1 wrap (a b c d | a b c d),
//   2 constant (FILL_VALUE), 3 nearest (a a | a b c d | d d).
//   src/reference/affine-transform.ts computes the same in float64.
//
// Bindings:
//   sampleTransforms: 0 stepInfo (4) u32 (shaders/random.wgsl), 1 sampled (BATCH, 8)
//   affineTransform:  2 input (BATCH, HEIGHT, WIDTH, CHANNELS), 3 transforms (BATCH, 8),
//                     4 output (BATCH, HEIGHT, WIDTH, CHANNELS)
//
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG).

override WG: u32 = 64u;
override BATCH: u32;
override HEIGHT: u32;
override WIDTH: u32;
override CHANNELS: u32 = 1u;

override KIND: u32 = 0u;
override LAYER_SEED: u32 = 0u;
override LOW0: f32 = 0.0;
override HIGH0: f32 = 0.0;
override LOW1: f32 = 0.0;
override HIGH1: f32 = 0.0;
override SAME_ZOOM: bool = false;
override FLIP_COLUMNS: bool = false;
override FLIP_ROWS: bool = false;

override FILL_MODE: u32 = 0u;
override FILL_VALUE: f32 = 0.0;
override NEAREST: bool = false;

@group(0) @binding(1) var<storage, read_write> sampled: array<f32>;
@group(0) @binding(2) var<storage, read> input: array<f32>;
@group(0) @binding(3) var<storage, read> transforms: array<f32>;
@group(0) @binding(4) var<storage, read_write> output: array<f32>;

// Draw j of sample n, uniform in [low, high): 24 random bits give a float in [0, 1) exactly.
fn draw(n: u32, j: u32, low: f32, high: f32) -> f32 {
  let u = f32(randomBits(2u * n + j, LAYER_SEED) >> 8u) * (1.0 / 16777216.0);
  return low + (high - low) * u;
}

const PI: f32 = 3.14159265358979;

// (sin θ, cos θ) for |θ| ≤ 2π to float32's precision. WGSL's sin and cos need only be within
// 2⁻¹¹ in [−π, π] (Vulkan's bound; SwiftShader is about that far off), which the map's
// offsets, up to (W − 1)/2 times them, would carry into whole hundredths of a pixel. θ is
// folded to φ in [−π/2, π/2] (sin θ = sin φ, cos θ = ±cos φ), where the Taylor series to
// φ¹¹ and φ¹² are within 6e-8 of sin and cos.
fn sinCos(theta: f32) -> vec2f {
  var t = theta - 2.0 * PI * round(theta / (2.0 * PI)); // in [−π, π]
  var sign = 1.0;
  if (t > 0.5 * PI) { t = PI - t; sign = -1.0; }
  if (t < -0.5 * PI) { t = -PI - t; sign = -1.0; }
  let t2 = t * t;
  let s = t * (1.0 - t2 / 6.0 * (1.0 - t2 / 20.0 * (1.0 - t2 / 42.0 * (1.0 - t2 / 72.0 * (1.0 - t2 / 110.0)))));
  let c = 1.0 - t2 / 2.0 * (1.0 - t2 / 12.0 * (1.0 - t2 / 30.0 * (1.0 - t2 / 56.0 * (1.0 - t2 / 90.0 * (1.0 - t2 / 132.0)))));
  return vec2f(s, sign * c);
}

@compute @workgroup_size(WG)
fn sampleTransforms(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = gid.x + gid.y * nwg.x * WG;
  if (n >= BATCH) { return; }
  let cx = 0.5 * f32(WIDTH - 1u);
  let cy = 0.5 * f32(HEIGHT - 1u);
  var m = array<f32, 6>(1.0, 0.0, 0.0, 0.0, 1.0, 0.0);
  if (KIND == 0u) {
    let sc = sinCos(draw(n, 0u, LOW0, HIGH0));
    let s = sc.x;
    let c = sc.y;
    m = array<f32, 6>(c, -s, cx - cx * c + cy * s, s, c, cy - cx * s - cy * c);
  } else if (KIND == 1u) {
    let zh = draw(n, 0u, LOW0, HIGH0);
    let zw = select(draw(n, 1u, LOW1, HIGH1), zh, SAME_ZOOM);
    m = array<f32, 6>(zw, 0.0, cx * (1.0 - zw), 0.0, zh, cy * (1.0 - zh));
  } else if (KIND == 2u) {
    let dy = draw(n, 0u, LOW0, HIGH0) * f32(HEIGHT);
    let dx = draw(n, 1u, LOW1, HIGH1) * f32(WIDTH);
    m = array<f32, 6>(1.0, 0.0, -dx, 0.0, 1.0, -dy);
  } else if (draw(n, 0u, LOW0, HIGH0) <= 0.5) {
    if (FLIP_COLUMNS) { m[0] = -1.0; m[2] = f32(WIDTH - 1u); }
    if (FLIP_ROWS) { m[4] = -1.0; m[5] = f32(HEIGHT - 1u); }
  }
  for (var k = 0u; k < 6u; k++) { sampled[8u * n + k] = m[k]; }
  sampled[8u * n + 6u] = 0.0;
  sampled[8u * n + 7u] = 0.0;
}

// map_coordinates' index fixers: where a tap at index i of an axis of `size` reads.
fn fixIndex(i: i32, size: i32) -> i32 {
  if (FILL_MODE == 0u) {
    // reflect: the triangular wave of jax.scipy.ndimage's _reflect_index_fixer.
    let period = 4 * size;
    let wave = abs(((2 * i + 1 + 2 * size) % period + period) % period - 2 * size);
    return (wave - 1) / 2;
  }
  if (FILL_MODE == 1u) { return (i % size + size) % size; }
  if (FILL_MODE == 3u) { return clamp(i, 0, size - 1); }
  return i;
}

// The input value of sample n, channel c, at the tap (y, x); FILL_VALUE outside in constant mode.
fn tap(n: u32, c: u32, y: i32, x: i32) -> f32 {
  let h = i32(HEIGHT);
  let w = i32(WIDTH);
  if (FILL_MODE == 2u && (y < 0 || y >= h || x < 0 || x >= w)) { return FILL_VALUE; }
  let row = u32(fixIndex(y, h));
  let column = u32(fixIndex(x, w));
  return input[((n * HEIGHT + row) * WIDTH + column) * CHANNELS + c];
}

// Rounds half away from zero, as lax.round (WGSL's round() goes half to even).
fn roundAway(v: f32) -> f32 {
  return select(floor(v + 0.5), ceil(v - 0.5), v < 0.0);
}

@compute @workgroup_size(WG)
fn affineTransform(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= BATCH * HEIGHT * WIDTH * CHANNELS) { return; }
  let c = i % CHANNELS;
  let x = (i / CHANNELS) % WIDTH;
  let y = (i / (CHANNELS * WIDTH)) % HEIGHT;
  let n = i / (CHANNELS * WIDTH * HEIGHT);
  let t = 8u * n;
  let fx = f32(x);
  let fy = f32(y);
  let sourceX = transforms[t] * fx + transforms[t + 1u] * fy + transforms[t + 2u];
  let sourceY = transforms[t + 3u] * fx + transforms[t + 4u] * fy + transforms[t + 5u];
  if (NEAREST) {
    output[i] = tap(n, c, i32(roundAway(sourceY)), i32(roundAway(sourceX)));
    return;
  }
  let y0 = floor(sourceY);
  let x0 = floor(sourceX);
  let wy = sourceY - y0;
  let wx = sourceX - x0;
  let row = i32(y0);
  let column = i32(x0);
  output[i] = (1.0 - wy) * ((1.0 - wx) * tap(n, c, row, column) + wx * tap(n, c, row, column + 1))
            + wy * ((1.0 - wx) * tap(n, c, row + 1, column) + wx * tap(n, c, row + 1, column + 1));
}
