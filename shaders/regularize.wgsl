// Keras' weight regularizers on one weight tensor: the penalty L1·Σ|w| + L2·Σw², added to the
// loss, and its gradient L1·sign(w) + 2·L2·w, added to the weight's gradient.
//
//   gradient: grads[i] += L1·sign(w[i]) + 2·L2·w[i], one invocation per element (flat index
//             gid.x + gid.y * (num_workgroups.x * WG), as grid() in src/runtime/dispatch.ts
//             lays them out). sign(0) = 0, the subgradient Keras' abs gives.
//   partials: PARTIALS workgroups (≤ WG), each summing L1·|w| + L2·w² over every
//             (PARTIALS·WG)-th run of WG elements (strided loads, then a tree in workgroup
//             memory) into partials[workgroup]. With L1 = 0, L2 = 1 it is the sum of squares
//             that clipping by norm needs (clip-gradient.wgsl).
//   penalty:  one workgroup sums the PARTIALS partial sums and adds BATCH times the total to
//             metrics[0], the running loss sum the loss kernel wrote before it, so the mean
//             loss a read-back gives is Keras' (cross-entropy plus penalties).
//
// Bindings (the second binding is written):
//   gradient: w: (COUNT)         grads: (COUNT)
//   partials: w: (COUNT)         partials: (PARTIALS)
//   penalty:  partials: (PARTIALS)  metrics: (4) [lossSum, correct, samples, 0]

override COUNT: u32;
override L1: f32;
override L2: f32;
override BATCH: f32 = 1.0;
override PARTIALS: u32 = 1u;

const WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> destination: array<f32>;

@compute @workgroup_size(WG)
fn gradient(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  let v = w[i];
  destination[i] += L1 * sign(v) + 2.0 * L2 * v;
}

var<workgroup> partial: array<f32, WG>;

// Sums partial[0..WG) into partial[0]; every invocation of the workgroup calls it.
fn sumWorkgroup(lid: u32) {
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
}

@compute @workgroup_size(WG)
fn partials(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  var sum = 0.0;
  for (var i = wid.x * WG + lid; i < COUNT; i += PARTIALS * WG) {
    let v = w[i];
    sum += L1 * abs(v) + L2 * v * v;
  }
  partial[lid] = sum;
  sumWorkgroup(lid);
  if (lid == 0u) { destination[wid.x] = partial[0]; }
}

@compute @workgroup_size(WG)
fn penalty(@builtin(local_invocation_index) lid: u32) {
  partial[lid] = 0.0;
  if (lid < PARTIALS) { partial[lid] = w[lid]; }
  sumWorkgroup(lid);
  if (lid == 0u) { destination[0] += BATCH * partial[0]; }
}
