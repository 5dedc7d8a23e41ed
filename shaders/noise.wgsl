// Gaussian noise layers at training time, forward and backward, with counter-based normal
// draws that are never stored: each element's draw is a function of (step, seed, LAYER_SEED,
// element index), so the backward pass regenerates exactly the forward's.
//
//   GaussianNoise (MULTIPLY = 0):   y = x + STDDEV·z       (its backward, dX = dY, is no op)
//   GaussianDropout (MULTIPLY = 1): y = x · (1 + STDDEV·z); dX = dY · (1 + STDDEV·z), the same map
// with z standard normal, by Box–Muller from two 32-bit uniforms:
//   u1 = (bits1 + 1) / 2³² ∈ (0, 1], u2 = bits2 / 2³²,  z = √(−2 ln u1) · cos(2π u2),
//   bits1 = randomBits(2i, LAYER_SEED), bits2 = randomBits(2i + 1, LAYER_SEED) (shaders/random.wgsl,
//   appended to this text).
// src/reference/noise.ts computes the same draws in float64. WGSL's cos may be off by 2⁻¹¹
// and its log by 2⁻²¹ absolute (SwiftShader's are, by up to 5e-4 in z), so both are computed
// here by polynomials accurate to float32's rounding.
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
override STDDEV: f32;
override MULTIPLY: u32 = 0u;

@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

// cos(2π u) for u in [0, 1]: reduced to θ = 2π·t, t = distance of u to the nearest of 0, ½,
// 1 folded into [0, ¼] (cos(2π(½ − t)) = −cos(2πt)), then its Taylor series to θ¹² (error
// below 1e-8 on [0, π/2]).
fn cos_turns(u: f32) -> f32 {
  let d = abs(u - round(u)); // [0, ½]
  let t = select(d, 0.5 - d, d > 0.25);
  let x = 6.283185307179586 * t;
  let x2 = x * x;
  let c = 1.0 - x2 / 2.0 * (1.0 - x2 / 12.0 * (1.0 - x2 / 30.0 * (1.0 - x2 / 56.0 * (1.0 - x2 / 90.0 * (1.0 - x2 / 132.0)))));
  return select(c, -c, d > 0.25);
}

// −ln u for u in (0, 1]: near 1, where log's absolute error matters, the series of
// −ln(1 − v) = v + v²/2 + ... to v⁹ (v = 1 − u < 1/16, exact in float32: error below 1e-13);
// elsewhere log, whose relative error is then a few ulp.
fn minus_log(u: f32) -> f32 {
  let v = 1.0 - u;
  if (v < 0.0625) {
    return v * (1.0 + v * (1.0 / 2.0 + v * (1.0 / 3.0 + v * (1.0 / 4.0 + v * (1.0 / 5.0 + v * (1.0 / 6.0 + v * (1.0 / 7.0 + v * (1.0 / 8.0 + v / 9.0))))))));
  }
  return -log(u);
}

@compute @workgroup_size(WG)
fn noise(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  let u1 = (f32(randomBits(2u * i, LAYER_SEED)) + 1.0) * 2.3283064365386963e-10;
  let u2 = f32(randomBits(2u * i + 1u, LAYER_SEED)) * 2.3283064365386963e-10;
  let z = sqrt(2.0 * minus_log(u1)) * cos_turns(u2);
  output[i] = select(input[i] + STDDEV * z, input[i] * (1.0 + STDDEV * z), MULTIPLY == 1u);
}
