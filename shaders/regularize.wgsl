// Keras' weight regularizers on one weight tensor: the penalty L1·Σ|w| + L2·Σw², added to the
// loss, and its gradient L1·sign(w) + 2·L2·w, added to the weight's gradient.
//
//   gradient: grads[i] += L1·sign(w[i]) + 2·L2·w[i], one invocation per element (flat index
//             gid.x + gid.y * (num_workgroups.x * WG), as grid() in src/runtime/dispatch.ts
//             lays them out). sign(0) = 0, the subgradient Keras' abs gives.
//   penalty:  one workgroup sums the penalty over all COUNT elements (each invocation a
//             strided share, then a tree in workgroup memory) and adds BATCH times it to
//             metrics[0], the running loss sum the loss kernel wrote before it, so the mean
//             loss a read-back gives is Keras' (cross-entropy plus penalties).
//
// Bindings:
//   gradient: w: (COUNT)  grads: (COUNT)
//   penalty:  w: (COUNT)  metrics: (4) [lossSum, correct, samples, 0]

override COUNT: u32;
override L1: f32;
override L2: f32;
override BATCH: f32 = 1.0;

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

@compute @workgroup_size(WG)
fn penalty(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < COUNT; i += WG) {
    let v = w[i];
    sum += L1 * abs(v) + L2 * v * v;
  }
  partial[lid] = sum;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) { destination[0] += BATCH * partial[0]; }
}
