// Column sums: out[c] = Σ_r x[r, c] — the bias gradient, summing dY over the batch rows.
//
// Two passes so that long columns (rows = batch·OH·OW, e.g. 73,728) spread over many
// workgroups:
//   partial: invocation (c, chunk) sums rows [chunk·ROWS_PER_CHUNK, ...) of column c into
//            partials[chunk, c]; neighbouring invocations read neighbouring columns.
//   finish:  out[c] = Σ_chunk partials[chunk, c].
//
// Columns move as Values: f32, or vec4f (four neighbouring columns) when 4 divides the column
// count, with COLS counting Values. The block between the CHUNK markers below is the scalar
// form; src/kernels/column-sum.ts swaps in the vec4 form: a quarter of the loads' index
// arithmetic and bounds clamps per value.
//
// Bindings (in Values):
//   partial: x: (ROWS, COLS)  partials: (CHUNKS, COLS)
//   finish:  partials: (CHUNKS, COLS)  out: (COLS)

// BEGIN CHUNK
alias Value = f32;
// END CHUNK

override ROWS: u32;
override COLS: u32;
override CHUNKS: u32;
override ROWS_PER_CHUNK: u32;
override WG: u32 = 64u;

@group(0) @binding(0) var<storage, read> source: array<Value>;
@group(0) @binding(1) var<storage, read_write> destination: array<Value>;

@compute @workgroup_size(WG)
fn partial(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  let chunk = gid.y;
  if (c >= COLS) { return; }
  let first = chunk * ROWS_PER_CHUNK;
  let last = min(first + ROWS_PER_CHUNK, ROWS);
  var sum = Value();
  for (var r = first; r < last; r++) {
    sum += source[r * COLS + c];
  }
  destination[chunk * COLS + c] = sum;
}

@compute @workgroup_size(WG)
fn finish(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= COLS) { return; }
  var sum = Value();
  for (var chunk = 0u; chunk < CHUNKS; chunk++) {
    sum += source[chunk * COLS + c];
  }
  destination[c] = sum;
}
