// PReLU (Keras' parametric ReLU): y = x where x > 0, alpha·x elsewhere, with one learned alpha
// per position of the sample's shape, or shared along its leading axes (Keras' shared_axes
// [1], [1, 2]: one alpha per channel of an image). Either way the alpha of element i is
// alpha[i % ALPHAS]: the sample's trailing ALPHAS values repeat with the shared positions and
// the batch.
//
//   forward:       y  = x > 0 ? x : alpha·x
//   inputGradient: dX = x > 0 ? dY : (x < 0 ? alpha·dY : 0)   (relu's derivative at 0 is 0)
//   alphaTerms:    t  = x < 0 ? x·dY : 0; dAlpha = their sum over the rows of (COUNT / ALPHAS,
//                  ALPHAS), by src/kernels/column-sum.ts.
//
// Bindings (COUNT elements, any shape, flattened; alpha (ALPHAS)):
//   forward:       x, alpha → out = y
//   inputGradient: x, alpha, dY → out = dX
//   alphaTerms:    x, dY → out = t
//
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG).

override COUNT: u32;
override ALPHAS: u32;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> alpha: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> dY: array<f32>;

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  let v = x[i];
  out[i] = select(alpha[i % ALPHAS] * v, v, v > 0.0);
}

@compute @workgroup_size(WG)
fn inputGradient(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  let v = x[i];
  out[i] = select(select(0.0, alpha[i % ALPHAS] * dY[i], v < 0.0), dY[i], v > 0.0);
}

@compute @workgroup_size(WG)
fn alphaTerms(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  let v = x[i];
  out[i] = select(0.0, v * dY[i], v < 0.0);
}
