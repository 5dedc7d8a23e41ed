// Keras' gradient clipping (an optimizer's clipvalue, clipnorm, global_clipnorm), on the
// gradients in place, before the optimizer's update (Keras 3 clips in apply_gradients, before
// the weight decay and the update). Appended to partial-sums.wgsl.
//
//   byValue:   g = clamp(g, −CLIP, CLIP), one invocation per element (flat index gid.x +
//              gid.y * (num_workgroups.x * WG), as grid() in src/runtime/dispatch.ts lays
//              them out).
//   By norm, g *= CLIP / max(‖g‖, CLIP) over all COUNT values bound: one weight's gradient
//   (clipnorm) or the whole flat gradient buffer (global_clipnorm; the gaps between its tensors
//   hold zeros). Three dispatches: partial-sums.wgsl's `partials` writes PARTIALS partial sums
//   of squares, then
//   normScale: one workgroup sums them and writes the scale CLIP / max(‖g‖, CLIP);
//   byNorm:    g *= scale[0], one invocation per element, laid out as byValue's.
//
// Bindings (g shares binding 0 with partial-sums.wgsl's w, which no entry here uses with it):
//   byValue:   g: (COUNT), updated in place
//   normScale: w: (PARTIALS) the partial sums   destination: (1) the scale
//   byNorm:    g: (COUNT), updated in place     scale: (1)

override CLIP: f32;

@group(0) @binding(0) var<storage, read_write> g: array<f32>;
@group(0) @binding(1) var<storage, read> scale: array<f32>;

@compute @workgroup_size(WG)
fn byValue(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  g[i] = clamp(g[i], -CLIP, CLIP);
}

@compute @workgroup_size(WG)
fn normScale(@builtin(local_invocation_index) lid: u32) {
  let total = sumPartials(lid);
  if (lid == 0u) { destination[0] = CLIP / max(sqrt(total), CLIP); }
}

@compute @workgroup_size(WG)
fn byNorm(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  g[i] *= scale[0];
}
