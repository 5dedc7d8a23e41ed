// Element-wise activations, forward and backward.
//
// Forward:  y = f(x).  Backward: dX = dY * f'(x), written in terms of the forward output y
// (relu: y > 0; sigmoid: y(1-y); tanh: 1-y²; leaky relu: 1 where y > 0, else NEGATIVE_SLOPE,
// since y has x's sign), so the backward pass needs no copy of x.
//
// Bindings (COUNT elements each, any shape, flattened):
//   forward:  x: (COUNT)  y: (COUNT)
//   backward: y: (COUNT)  dY: (COUNT)  dX: (COUNT)
//
// KIND: 0 = linear, 1 = relu, 2 = sigmoid, 3 = tanh, 4 = leaky relu (x for x > 0, else
// NEGATIVE_SLOPE·x, with NEGATIVE_SLOPE ≥ 0).
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG).

override KIND: u32 = 1u;
override COUNT: u32;
override WG: u32 = 256u;
override NEGATIVE_SLOPE: f32 = 0.2;

@group(0) @binding(0) var<storage, read> x_or_y: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;

fn activate(v: f32) -> f32 {
  switch KIND {
    case 1u: { return max(v, 0.0); }
    case 2u: { return 1.0 / (1.0 + exp(-v)); }
    case 3u: { return tanh(v); }
    case 4u: { return select(v * NEGATIVE_SLOPE, v, v > 0.0); }
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

// Derivative of the activation, from its output y.
fn slope(y: f32) -> f32 {
  switch KIND {
    case 1u: { return select(0.0, 1.0, y > 0.0); }
    case 2u: { return y * (1.0 - y); }
    case 3u: { return 1.0 - y * y; }
    case 4u: { return select(NEGATIVE_SLOPE, 1.0, y > 0.0); }
    default: { return 1.0; }
  }
}

// Bindings here: 0 = y (forward output), 1 = dX (out), 2 = dY.
@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  out[i] = dY[i] * slope(x_or_y[i]);
}
