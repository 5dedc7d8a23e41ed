// Keras' weight regularizers on one weight tensor: the penalty L1·Σ|w| + L2·Σw², added to the
// loss, and its gradient L1·sign(w) + 2·L2·w, added to the weight's gradient. Appended to
// partial-sums.wgsl, whose `partials` entry is the penalty's first pass.
//
//   gradient: grads[i] += L1·sign(w[i]) + 2·L2·w[i], one invocation per element (flat index
//             gid.x + gid.y * (num_workgroups.x * WG), as grid() in src/runtime/dispatch.ts
//             lays them out). sign(0) = 0, the subgradient Keras' abs gives.
//   penalty:  one workgroup sums the PARTIALS partial sums and adds BATCH times the total to
//             metrics[0], the running loss sum the loss kernel wrote before it, so the mean
//             loss a read-back gives is Keras' (cross-entropy plus penalties).
//
// Bindings (w is read, destination written):
//   gradient: w: (COUNT)            grads: (COUNT)
//   partials: w: (COUNT)            partials: (PARTIALS)
//   penalty:  partials: (PARTIALS)  metrics: (4) [lossSum, correct, samples, 0]

override BATCH: f32 = 1.0;

@compute @workgroup_size(WG)
fn gradient(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  let v = w[i];
  destination[i] += L1 * sign(v) + 2.0 * L2 * v;
}

@compute @workgroup_size(WG)
fn penalty(@builtin(local_invocation_index) lid: u32) {
  let total = sumPartials(lid);
  if (lid == 0u) { destination[0] += BATCH * total; }
}
