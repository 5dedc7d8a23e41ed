// Matrix multiply with a fused epilogue, sharing loads across quads:
//   C[M, N] = op(A)·op(B) (+ bias[N]) (then ReLU).
// The same contract as matmul.wgsl (its `reduce_splits` finishes a split-K run of this one);
// src/kernels/matmul.ts appends matmul-common.wgsl (bindings, constants, helpers). Used
// when the device has the `subgroups` feature and its quads are four consecutive
// invocations (src/device/quads.ts checks that once per device).
//
// Why: on SwiftShader (a CPU) every storage read with a per-invocation index is a gather of
// four scalar loads, and those loads, not the multiply-adds, bound the 4 × 4 kernel. Here
// each invocation computes an 8 × 4 block of C, and the four invocations of a quad take four
// neighbouring column blocks of the same 8 rows, so they need the same op(A) values. Over
// four steps of k, lane l of the quad reads op(A)[rows, k0 + l] (8 values) and
// quadBroadcast hands lane j's values to all four at step k0 + j. Per step of k an
// invocation then reads 2 values of A and 4 of B for 32 multiply-adds, against 8 reads for
// 16 in the 4 × 4 kernel: 1.8 to 2.7 times its speed on 512³ and the presets' GEMMs.
//
// Invocations: quad q = flat / 4 (flat = local index + 64·workgroup index) covers row block
// q / COL_QUADS and column blocks 4·(q % COL_QUADS) .. + 3, one per lane. Quads past the last
// return at once, all four lanes together; within a live quad every lane runs the loop, a
// lane past the edge with clamped indices and no stores: quadBroadcast needs all four.
// That is uniform per quad, which WGSL's analysis (by workgroup) cannot see, hence the
// diagnostic below.
enable subgroups;
diagnostic(off, subgroup_uniformity);

const ROWS = 8u;
override COL_QUADS: u32 = (COL_BLOCKS + 3u) / 4u;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) local: u32,
) {
  let flat = (wid.x + wid.y * nwg.x) * WG + local;
  let lane = flat % 4u;
  let q = flat / 4u;
  if (q >= ROW_BLOCKS * COL_QUADS) { return; }
  let row0 = (q / COL_QUADS) * ROWS;
  let col0 = ((q % COL_QUADS) * 4u + lane) * COLS;
  let at = blockIndices(row0, col0);
  batchEntry(wid.z);
  let kStart = kRange(wid.z).x;
  let kEnd = kRange(wid.z).y;

  acc = array<vec4f, 8>();
  var k0 = kStart;
  for (; k0 + 4u <= kEnd; k0 += 4u) {
    let mineTop = loadA(at.top, k0 + lane);
    let mineBottom = loadA(at.bottom, k0 + lane);
    accumulate(quadBroadcast(mineTop, 0u), quadBroadcast(mineBottom, 0u), k0, at.cols);
    accumulate(quadBroadcast(mineTop, 1u), quadBroadcast(mineBottom, 1u), k0 + 1u, at.cols);
    accumulate(quadBroadcast(mineTop, 2u), quadBroadcast(mineBottom, 2u), k0 + 2u, at.cols);
    accumulate(quadBroadcast(mineTop, 3u), quadBroadcast(mineBottom, 3u), k0 + 3u, at.cols);
  }
  // The last 1 to 3 steps of k, if any (kEnd and k0 are the same for the whole quad).
  if (k0 < kEnd) {
    let k = min(k0 + lane, kEnd - 1u);
    let mineTop = loadA(at.top, k);
    let mineBottom = loadA(at.bottom, k);
    accumulate(quadBroadcast(mineTop, 0u), quadBroadcast(mineBottom, 0u), k0, at.cols);
    if (k0 + 1u < kEnd) {
      accumulate(quadBroadcast(mineTop, 1u), quadBroadcast(mineBottom, 1u), k0 + 1u, at.cols);
    }
    if (k0 + 2u < kEnd) {
      accumulate(quadBroadcast(mineTop, 2u), quadBroadcast(mineBottom, 2u), k0 + 2u, at.cols);
    }
  }

  if (col0 >= N) { return; }
  storeBlock(wid.z, row0, col0, at.cols);
}
