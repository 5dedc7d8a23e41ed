// Element-wise activations, forward and backward.
//
// Forward:  y = f(x).  Backward: dX = dY * f'(x). Where f' can be written in terms of the forward
// output y, the backward reads y, so the pass needs no copy of x (relu: y > 0; sigmoid: y(1-y);
// tanh: 1-y²; leaky relu: 1 where y > 0, else NEGATIVE_SLOPE, since y has x's sign; elu: 1
// where y > 0, else y + 1; selu: SELU_SCALE where y > 0, else y + SELU_SCALE·SELU_ALPHA;
// softplus: 1 - e^-y; relu6: 1 where 0 < y < 6; softsign: (1 - |y|)²). Swish's, GELU's and
// Mish's f' are not functions of y (y is not monotonic in x), so their backward reads the
// forward input x instead (src/kernels/activation.ts: backwardReads).
//
// Bindings (COUNT elements each, any shape, flattened):
//   forward:  x: (COUNT)  y: (COUNT)
//   backward: y or x: (COUNT)  dY: (COUNT)  dX: (COUNT)
//
// KIND: 0 = linear, 1 = relu, 2 = sigmoid, 3 = tanh, 4 = leaky relu (x for x > 0, else
// NEGATIVE_SLOPE·x, with NEGATIVE_SLOPE ≥ 0), 5 = elu (x for x > 0, else e^x - 1), 6 = selu
// (SELU_SCALE times elu with SELU_ALPHA), 7 = softplus (log(1 + e^x)), 8 = swish (x·σ(x)),
// 9 = gelu (x·Φ(x), Φ the standard normal CDF: Keras' exact GELU, not its tanh approximation),
// 10 = relu6 (min(max(x, 0), 6)), 11 = softsign (x / (1 + |x|)), 12 = mish (x·tanh(softplus(x))).
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG).

override KIND: u32 = 1u;
override COUNT: u32;
override WG: u32 = 256u;
override NEGATIVE_SLOPE: f32 = 0.2;

// Keras' (and Klambauer et al.'s) SELU constants.
const SELU_ALPHA: f32 = 1.6732632423543772;
const SELU_SCALE: f32 = 1.0507009873554805;

@group(0) @binding(0) var<storage, read> x_or_y: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

fn sigmoid(v: f32) -> f32 {
  return 1.0 / (1.0 + exp(-v));
}

// erfc(z) for z ≥ 0 with relative error below 1.2e-7 (the Chebyshev fit of Numerical Recipes'
// erfcc): WGSL has no erf, and GELU's left tail needs erfc's relative accuracy.
fn erfc_nonnegative(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(-z * z + p);
}

// Φ(x) = erfc(-x/√2) / 2, from the tail on the side that keeps its relative accuracy.
fn normal_cdf(x: f32) -> f32 {
  let tail = 0.5 * erfc_nonnegative(abs(x) * 0.70710678118654752);
  return select(1.0 - tail, tail, x < 0.0);
}

// log(1 + e^v) without overflow for large |v|.
fn softplus(v: f32) -> f32 {
  return max(v, 0.0) + log(1.0 + exp(-abs(v)));
}

fn activate(v: f32) -> f32 {
  switch KIND {
    case 1u: { return max(v, 0.0); }
    case 2u: { return sigmoid(v); }
    case 3u: { return tanh(v); }
    case 4u: { return select(v * NEGATIVE_SLOPE, v, v > 0.0); }
    case 5u: { return select(exp(v) - 1.0, v, v > 0.0); }
    case 6u: { return SELU_SCALE * select(SELU_ALPHA * (exp(v) - 1.0), v, v > 0.0); }
    case 7u: { return softplus(v); }
    case 8u: { return v * sigmoid(v); }
    case 9u: { return v * normal_cdf(v); }
    case 10u: { return min(max(v, 0.0), 6.0); }
    case 11u: { return v / (1.0 + abs(v)); }
    case 12u: { return v * tanh(softplus(v)); }
    default: { return v; }
  }
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  out[i] = activate(x_or_y[i]);
}

@group(0) @binding(2) var<storage, read> dY: array<f32>;

// Derivative of the activation, from its output y (swish, gelu, mish: from its input x).
fn slope(v: f32) -> f32 {
  switch KIND {
    case 1u: { return select(0.0, 1.0, v > 0.0); }
    case 2u: { return v * (1.0 - v); }
    case 3u: { return 1.0 - v * v; }
    case 4u: { return select(NEGATIVE_SLOPE, 1.0, v > 0.0); }
    case 5u: { return select(v + 1.0, 1.0, v > 0.0); }
    case 6u: { return select(v + SELU_SCALE * SELU_ALPHA, SELU_SCALE, v > 0.0); }
    // σ(x) = 1 - e^-y; for small y, its series y - y²/2, which 1 - e^-y loses to rounding.
    case 7u: { return select(1.0 - exp(-v), v * (1.0 - 0.5 * v), v < 1e-3); }
    case 8u: {
      let s = sigmoid(v);
      return s * (1.0 + v * (1.0 - s));
    }
    // Φ(x) + x·φ(x), φ(x) = e^(-x²/2)/√(2π).
    case 9u: { return normal_cdf(v) + v * 0.39894228040143268 * exp(-0.5 * v * v); }
    case 10u: { return select(0.0, 1.0, v > 0.0 && v < 6.0); }
    case 11u: {
      let r = 1.0 - abs(v);
      return r * r;
    }
    // tanh(sp) + x·σ(x)·(1 − tanh²(sp)), sp = softplus(x), since sp' = σ(x).
    case 12u: {
      let t = tanh(softplus(v));
      return t + v * sigmoid(v) * (1.0 - t * t);
    }
    default: { return 1.0; }
  }
}

// Bindings here: 0 = y (forward output; swish, gelu, mish: x, the input), 1 = dX (out), 2 = dY.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  out[i] = dY[i] * slope(x_or_y[i]);
}
