// Keras' weight constraints, applied to a weight after each optimizer update (Keras 3 assigns
// variable.constraint(variable) once the optimizer has stepped):
//
//   nonNegative (NonNeg): w = w where w ≥ 0, else 0; one invocation per element.
//   norm (MaxNorm, UnitNorm, MinMaxNorm): w seen as (ROWS, COLS), each column j rescaled by
//     its norm n = ‖w[:, j]‖:
//       w[:, j] *= desired / (EPSILON + n),  desired = RATE·clamp(n, MIN_NORM, MAX_NORM) + (1 − RATE)·n
//     MaxNorm m: MIN_NORM 0, MAX_NORM m, RATE 1; UnitNorm: MIN_NORM = MAX_NORM = 1, RATE 1.
//     One workgroup per column: its sum of squares by a tree, then the rescale.
// A Dense kernel [in, out] is (in, out), a Conv2D kernel HWIO (H·W·I, O): the norm runs over
// every axis but the last, each output unit's incoming weights, as Keras' axis 0 and [0, 1, 2]
// do; a bias [units] is (units, 1).
//
// Bindings: w: (ROWS, COLS), updated in place.

override ROWS: u32;
override COLS: u32;
override MIN_NORM: f32 = 0.0;
override MAX_NORM: f32 = 1.0;
override RATE: f32 = 1.0;

// Keras' backend epsilon.
const EPSILON: f32 = 1e-7;
const WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> w: array<f32>;

@compute @workgroup_size(WG)
fn nonNegative(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= ROWS * COLS) { return; }
  w[i] = select(0.0, w[i], w[i] >= 0.0);
}

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn norm(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let column = wid.x;
  var sum = 0.0;
  for (var row = lid; row < ROWS; row += WG) {
    let v = w[row * COLS + column];
    sum += v * v;
  }
  partial[lid] = sum;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  let n = sqrt(partial[0]);
  let desired = RATE * clamp(n, MIN_NORM, MAX_NORM) + (1.0 - RATE) * n;
  let factor = desired / (EPSILON + n);
  for (var row = lid; row < ROWS; row += WG) {
    w[row * COLS + column] *= factor;
  }
}
