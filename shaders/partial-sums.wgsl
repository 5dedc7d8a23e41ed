// Sums over a whole tensor in two passes, for the regularizer penalties (regularize.wgsl) and
// clipping by norm (clip-gradient.wgsl), which append their entries to this file's text:
//
//   partials:    PARTIALS invocations (in workgroups of WG), invocation i summing
//                L1·|w| + L2·w² over w[i], w[i + PARTIALS], … < COUNT into destination[i].
//                With L1 = 0, L2 = 1: the sum of squares.
//   sumPartials: called by every invocation of one workgroup; returns the sum of
//                w[0..PARTIALS) (the first pass' output, bound as w) to invocation 0.
//
// Why the first pass has no workgroup memory and no barrier: on SwiftShader a workgroup that
// waits at barriers runs its invocations as coroutines and costs about 0.5 ms however little it
// sums; a first pass of 256 workgroups each ending in a tree took 185 ms over 1.2M values where
// one workgroup took 44 ms. Without barriers the many invocations cost what their loads cost,
// on a CPU and on a GPU alike (bench/kernel-forms.ts times the forms).
//
// Bindings: w: read; destination: written (each entry's shapes are in the file using it).

override COUNT: u32;
override L1: f32 = 0.0;
override L2: f32 = 1.0;
override PARTIALS: u32 = 1u;

const WG: u32 = 256u;

@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> destination: array<f32>;

@compute @workgroup_size(WG)
fn partials(@builtin(global_invocation_id) gid: vec3u) {
  let first = gid.x;
  if (first >= PARTIALS) { return; }
  var sum = 0.0;
  for (var i = first; i < COUNT; i += PARTIALS) {
    let v = w[i];
    sum += L1 * abs(v) + L2 * v * v;
  }
  destination[first] = sum;
}

var<workgroup> partial: array<f32, WG>;

fn sumPartials(lid: u32) -> f32 {
  var sum = 0.0;
  for (var i = lid; i < PARTIALS; i += WG) { sum += w[i]; }
  partial[lid] = sum;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  return partial[0];
}
