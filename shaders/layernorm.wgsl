// Layer normalization over the last axis (Keras' LayerNormalization, axis -1): each of the ROWS
// rows (every position of every sample) normalized over its own COLS values, with Keras'
// biased variance: xhat = (x − mean)·invStd, invStd = 1/sqrt(var + EPSILON), then
// y = gamma[c]·xhat + beta[c]. CENTER = false drops beta (taken as 0), SCALE = false drops gamma
// (taken as 1): gammaBeta then holds only the parameters present, as Keras keeps them.
//
//   forward:       one invocation per row: its mean, then its variance as the mean of
//                  (x − mean)² (two passes over the row, for accuracy), saved for the backward,
//                  and the row of y.
//   backward:      one invocation per row, with g = dY·gamma:
//                  dX = invStd·(g − mean_c(g) − xhat·mean_c(g·xhat)).
//   affineTerms:   element-wise, the terms whose column sums are the gradients of the gamma and
//                  beta present, in gammaBeta's layout: dY·xhat (gamma) and dY (beta) side by
//                  side in each row of terms (src/kernels/layernorm.ts sums them).
// Rows are laid out as grid(ROWS, WG), elements as grid(ROWS·COLS, WG) (src/runtime/dispatch.ts).
//
// Buffers: x, y, dY, dX: (ROWS, COLS)   gammaBeta: (SCALE + CENTER, COLS) gamma (if SCALE), then
// beta (if CENTER); with neither, any buffer (not read)   saved: (ROWS, 2) mean, invStd
// terms: (ROWS, SCALE + CENTER, COLS)
// Bindings: 0 x   1 gammaBeta   2 y, dX or terms   3 saved   4 dY

override ROWS: u32;
override COLS: u32;
override EPSILON: f32 = 0.001;
override CENTER: bool = true;
override SCALE: bool = true;
// The row of beta in gammaBeta: 1 after gamma, 0 without it.
override BETA_ROW: u32 = select(0u, 1u, SCALE);
// Rows of gammaBeta: the parameters present.
override AFFINE: u32 = select(0u, 1u, SCALE) + select(0u, 1u, CENTER);
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gammaBeta: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> dX: array<f32>;
@group(0) @binding(2) var<storage, read_write> terms: array<f32>;
@group(0) @binding(3) var<storage, read_write> saved: array<f32>;
@group(0) @binding(4) var<storage, read> dY: array<f32>;

// (Branches, not select(): select would read an absent row.)
fn gammaOf(c: u32) -> f32 {
  if (SCALE) { return gammaBeta[c]; }
  return 1.0;
}
fn betaOf(c: u32) -> f32 {
  if (CENTER) { return gammaBeta[BETA_ROW * COLS + c]; }
  return 0.0;
}

// The flat index of an invocation, as grid() lays them out.
fn flatIndex(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = flatIndex(gid, nwg);
  if (r >= ROWS) { return; }
  let base = r * COLS;
  var sum = 0.0;
  for (var c = 0u; c < COLS; c++) { sum += x[base + c]; }
  let mean = sum / f32(COLS);
  var squares = 0.0;
  for (var c = 0u; c < COLS; c++) {
    let centered = x[base + c] - mean;
    squares += centered * centered;
  }
  let invStd = inverseSqrt(squares / f32(COLS) + EPSILON);
  saved[2u * r] = mean;
  saved[2u * r + 1u] = invStd;
  for (var c = 0u; c < COLS; c++) { y[base + c] = (x[base + c] - mean) * invStd * gammaOf(c) + betaOf(c); }
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let r = flatIndex(gid, nwg);
  if (r >= ROWS) { return; }
  let base = r * COLS;
  let mean = saved[2u * r];
  let invStd = saved[2u * r + 1u];
  var sums = vec2f(0.0);  // Σ g, Σ g·xhat over the row
  for (var c = 0u; c < COLS; c++) {
    let g = dY[base + c] * gammaOf(c);
    sums += g * vec2f(1.0, (x[base + c] - mean) * invStd);
  }
  let means = sums / f32(COLS);
  for (var c = 0u; c < COLS; c++) {
    let xhat = (x[base + c] - mean) * invStd;
    dX[base + c] = invStd * (dY[base + c] * gammaOf(c) - means.x - xhat * means.y);
  }
}

@compute @workgroup_size(WG)
fn affineTerms(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = flatIndex(gid, nwg);
  if (i >= ROWS * COLS) { return; }
  let r = i / COLS;
  let c = i % COLS;
  let base = r * AFFINE * COLS;
  if (SCALE) { terms[base + c] = dY[i] * (x[i] - saved[2u * r]) * saved[2u * r + 1u]; }
  if (CENTER) { terms[base + BETA_ROW * COLS + c] = dY[i]; }
}
