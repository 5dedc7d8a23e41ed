// Column sums: out[c] = Σ_r x[r, c] — the bias gradient, summing dY over the batch rows.
//
// Two passes so that long columns (rows = batch·OH·OW, e.g. 73,728) spread over many
// workgroups:
//   partial: invocation (c, chunk) sums rows [chunk·ROWS_PER_CHUNK, ...) of column c into
//            partials[chunk, c]; neighbouring invocations read neighbouring columns.
//   finish:  out[c] = Σ_chunk partials[chunk, c].
//
// Bindings:
//   partial: x: (ROWS, COLS)  partials: (CHUNKS, COLS)
//   finish:  partials: (CHUNKS, COLS)  out: (COLS)

override ROWS: u32;
override COLS: u32;
override CHUNKS: u32;
override ROWS_PER_CHUNK: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> source: array<f32>;
@group(0) @binding(1) var<storage, read_write> destination: array<f32>;

@compute @workgroup_size(WG)
fn partial(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let chunk = gid.y;
  if (c >= COLS) { return; }
  let first = chunk * ROWS_PER_CHUNK;
  let last = min(first + ROWS_PER_CHUNK, ROWS);
  var sum = 0.0;
  for (var r = first; r < last; r++) {
    sum += source[r * COLS + c];
  }
  destination[chunk * COLS + c] = sum;
}

@compute @workgroup_size(WG)
fn finish(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= COLS) { return; }
  var sum = 0.0;
  for (var chunk = 0u; chunk < CHUNKS; chunk++) {
    sum += source[chunk * COLS + c];
  }
  destination[c] = sum;
}
