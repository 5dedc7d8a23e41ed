// Keras' gradient clipping (an optimizer's clipvalue, clipnorm, global_clipnorm), on the
// gradients in place, before the optimizer's update (Keras 3 clips in apply_gradients, before
// the weight decay and the update):
//
//   byValue: g = clamp(g, −CLIP, CLIP), one invocation per element (flat index gid.x +
//            gid.y * (num_workgroups.x * WG), as grid() in src/runtime/dispatch.ts lays them out).
//   byNorm:  g *= CLIP / max(‖g‖, CLIP) over all COUNT values bound: one weight's gradient
//            (clipnorm) or the whole flat gradient buffer (global_clipnorm; the gaps between its
//            tensors hold zeros). One workgroup: the sum of squares by a tree, then the scaling.
//
// Bindings: g: (COUNT), updated in place.

override COUNT: u32;
override CLIP: f32;

const WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> g: array<f32>;

@compute @workgroup_size(WG)
fn byValue(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  g[i] = clamp(g[i], -CLIP, CLIP);
}

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn byNorm(@builtin(local_invocation_index) lid: u32) {
  var sum = 0.0;
  for (var i = lid; i < COUNT; i += WG) { sum += g[i] * g[i]; }
  partial[lid] = sum;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  let scale = CLIP / max(sqrt(partial[0]), CLIP);
  for (var i = lid; i < COUNT; i += WG) { g[i] *= scale; }
}
