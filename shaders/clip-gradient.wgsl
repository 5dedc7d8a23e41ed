// Keras' gradient clipping (an optimizer's clipvalue, clipnorm, global_clipnorm), on the
// gradients in place, before the optimizer's update (Keras 3 clips in apply_gradients, before
// the weight decay and the update):
//
//   byValue:   g = clamp(g, −CLIP, CLIP), one invocation per element (flat index gid.x +
//              gid.y * (num_workgroups.x * WG), as grid() in src/runtime/dispatch.ts lays
//              them out).
//   By norm, g *= CLIP / max(‖g‖, CLIP) over all COUNT values bound: one weight's gradient
//   (clipnorm) or the whole flat gradient buffer (global_clipnorm; the gaps between its tensors
//   hold zeros). Three dispatches: regularize.wgsl's `partials` (L1 = 0, L2 = 1) writes
//   PARTIALS partial sums of squares into sums[0..PARTIALS), then
//   normScale: one workgroup sums them and writes the scale CLIP / max(‖g‖, CLIP) to
//              sums[PARTIALS];
//   byNorm:    g *= sums[PARTIALS], one invocation per element, laid out as byValue's.
//
// Bindings: g: (COUNT), updated in place; sums: (PARTIALS + 1).

override COUNT: u32;
override CLIP: f32;
override PARTIALS: u32 = 1u;

const WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(WG)
fn byValue(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  g[i] = clamp(g[i], -CLIP, CLIP);
}

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn normScale(@builtin(local_invocation_index) lid: u32) {
  partial[lid] = 0.0;
  if (lid < PARTIALS) { partial[lid] = sums[lid]; }
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) { sums[PARTIALS] = CLIP / max(sqrt(partial[0]), CLIP); }
}

@compute @workgroup_size(WG)
fn byNorm(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  g[i] *= sums[PARTIALS];
}
