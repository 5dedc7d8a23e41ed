// An affine map of every element: output = input · SCALE + OFFSET. Rescaling's forward
// (SCALE, OFFSET) and backward (SCALE, 0: dX = dY · SCALE) are both this one entry point.
//
// Bindings (COUNT elements each, any shape, flattened):
//   0 input:  (COUNT)  x (forward) or dY (backward)
//   1 output: (COUNT)  y (forward) or dX (backward)
//
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG).

override COUNT: u32;
override WG: u32 = 256u;
override SCALE: f32;
override OFFSET: f32 = 0.0;

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;

@compute @workgroup_size(WG)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  output[i] = fma(input[i], SCALE, OFFSET);
}
