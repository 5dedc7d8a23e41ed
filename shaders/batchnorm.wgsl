// Batch normalization over NHWC data, per channel over the ROWS = N·H·W positions
// (a dense [N, C] input is the case H = W = 1). Keras semantics: biased batch variance,
// y = gamma·(x − mean)/sqrt(var + EPSILON) + beta, moving = moving·MOMENTUM + batch·(1 − MOMENTUM).
// CENTER = false drops beta (taken as 0), SCALE = false drops gamma (taken as 1): gammaBeta and
// dGammaBeta then hold only the parameters present, as Keras keeps only those weights.
//
// The per-channel sums are column sums over the (ROWS, CHANNELS) data, laid out as
// column-sum.wgsl's: invocation (c, chunk) of a partial pass sums rows
// [chunk·ROWS_PER_CHUNK, …) of channel c into partials[chunk, c] (neighbouring invocations read
// neighbouring channels, and the chunks spread over the cores), then a finish pass, one
// invocation per channel, sums the CHUNKS partials. No workgroup memory and no barrier: on
// SwiftShader a workgroup that waits at barriers runs as coroutines, and one workgroup per
// channel striding down its column took 13% of mnist-bn's step (README, Performance notes).
//
// Training forward, five dispatches; the statistics take two passes over x for accuracy: the
// mean of x − x[0, c] (so that a large common offset does not use up the f32 mantissa), then
// the variance as the mean of (x − mean)²:
//   shiftedSums → finishMean (saved[0, c] = mean) → centeredSquares → finishVariance
//   (saved[1, c] = invStd = 1/sqrt(var + EPSILON), moving updated) → normalize (y).
// Backward, with xhat = (x − mean)·invStd, three:
//   gradientSums → finishGradient (dBeta = Σ dY, dGamma = Σ dY·xhat into channelSums and the
//   dGammaBeta present) → backwardInput: dX = gamma·invStd·(dY − dBeta/ROWS − xhat·dGamma/ROWS).
// A frozen layer (Keras' trainable = False) runs in inference mode in training too: inferForward,
// then frozenBackward, dX = dY·gamma/sqrt(movingVariance + EPSILON), the moving statistics
// being constants; nothing else is written.
// normalize, inferForward, backwardInput and frozenBackward are element-wise, laid out by
// grid(ROWS·CHANNELS, WG); the other passes by [ceil(CHANNELS/WG), CHUNKS] and [ceil(CHANNELS/WG)].
//
// Buffers ((2, CHANNELS) ones hold two rows of CHANNELS values):
//   x, y, dY, dX: (ROWS, CHANNELS)
//   gammaBeta:    (SCALE + CENTER, CHANNELS) gamma (if SCALE), then beta (if CENTER); with
//                 neither, any buffer (it is not read)
//   dGammaBeta:   the same layout: dGamma, dBeta (overwritten); with neither, not written
//   moving:       (2, CHANNELS) moving mean, moving variance
//   saved:        (2, CHANNELS) batch mean, invStd
//   partials:     (CHUNKS, CHANNELS) in the forward; (CHUNKS, 2, CHANNELS) Σ dY, Σ dY·xhat in the backward
//   channelSums:  (2, CHANNELS) dBeta, dGamma
// Bindings (a number names one buffer of the list above in every entry that uses it):
//   0 x   1 gammaBeta   2 y or dX   3 moving (read_write in finishVariance, read elsewhere)
//   4 saved   5 partials   6 channelSums   7 dY   8 dGammaBeta

override ROWS: u32;
override CHANNELS: u32;
override CHUNKS: u32 = 1u;
override ROWS_PER_CHUNK: u32 = 1u;
override WG: u32 = 64u;
override MOMENTUM: f32 = 0.99;
override EPSILON: f32 = 0.001;
override CENTER: bool = true;
override SCALE: bool = true;
// The row of beta in gammaBeta: 1 after gamma, 0 without it.
override BETA_ROW: u32 = select(0u, 1u, SCALE);

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gammaBeta: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> dX: array<f32>;
@group(0) @binding(3) var<storage, read_write> moving: array<f32>;
@group(0) @binding(3) var<storage, read> movingStats: array<f32>;
@group(0) @binding(4) var<storage, read_write> saved: array<f32>;
@group(0) @binding(5) var<storage, read_write> partials: array<f32>;
@group(0) @binding(6) var<storage, read_write> channelSums: array<f32>;
@group(0) @binding(7) var<storage, read> dY: array<f32>;
@group(0) @binding(8) var<storage, read_write> dGammaBeta: array<f32>;

// (Branches, not select(): select would read an absent row.)
fn gammaOf(channel: u32) -> f32 {
  if (SCALE) { return gammaBeta[channel]; }
  return 1.0;
}
fn betaOf(channel: u32) -> f32 {
  if (CENTER) { return gammaBeta[BETA_ROW * CHANNELS + channel]; }
  return 0.0;
}

// The rows of a chunk: [first, last).
fn chunkRows(chunk: u32) -> vec2u {
  let first = chunk * ROWS_PER_CHUNK;
  return vec2u(first, min(first + ROWS_PER_CHUNK, ROWS));
}

// The flat element index of an element-wise invocation, as grid() lays them out.
fn elementIndex(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// ---- training forward: batch statistics -------------------------------------------------

@compute @workgroup_size(WG)
fn shiftedSums(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= CHANNELS) { return; }
  let rows = chunkRows(gid.y);
  let shift = x[c];
  var sum = 0.0;
  for (var r = rows.x; r < rows.y; r++) { sum += x[r * CHANNELS + c] - shift; }
  partials[gid.y * CHANNELS + c] = sum;
}

@compute @workgroup_size(WG)
fn finishMean(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= CHANNELS) { return; }
  var sum = 0.0;
  for (var chunk = 0u; chunk < CHUNKS; chunk++) { sum += partials[chunk * CHANNELS + c]; }
  saved[c] = x[c] + sum / f32(ROWS);
}

@compute @workgroup_size(WG)
fn centeredSquares(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= CHANNELS) { return; }
  let rows = chunkRows(gid.y);
  let mean = saved[c];
  var sum = 0.0;
  for (var r = rows.x; r < rows.y; r++) {
    let centered = x[r * CHANNELS + c] - mean;
    sum += centered * centered;
  }
  partials[gid.y * CHANNELS + c] = sum;
}

@compute @workgroup_size(WG)
fn finishVariance(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= CHANNELS) { return; }
  var sum = 0.0;
  for (var chunk = 0u; chunk < CHUNKS; chunk++) { sum += partials[chunk * CHANNELS + c]; }
  let variance = sum / f32(ROWS);
  saved[CHANNELS + c] = inverseSqrt(variance + EPSILON);
  moving[c] = moving[c] * MOMENTUM + saved[c] * (1.0 - MOMENTUM);
  moving[CHANNELS + c] = moving[CHANNELS + c] * MOMENTUM + variance * (1.0 - MOMENTUM);
}

@compute @workgroup_size(WG)
fn normalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = elementIndex(gid, nwg);
  if (i >= ROWS * CHANNELS) { return; }
  let c = i % CHANNELS;
  y[i] = (x[i] - saved[c]) * (gammaOf(c) * saved[CHANNELS + c]) + betaOf(c);
}

// ---- inference forward: moving statistics -----------------------------------------------

@compute @workgroup_size(WG)
fn inferForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = elementIndex(gid, nwg);
  if (i >= ROWS * CHANNELS) { return; }
  let c = i % CHANNELS;
  let invStd = inverseSqrt(movingStats[CHANNELS + c] + EPSILON);
  y[i] = (x[i] - movingStats[c]) * (gammaOf(c) * invStd) + betaOf(c);
}

// ---- backward ---------------------------------------------------------------------------

@compute @workgroup_size(WG)
fn gradientSums(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= CHANNELS) { return; }
  let rows = chunkRows(gid.y);
  let mean = saved[c];
  let invStd = saved[CHANNELS + c];
  var sum = vec2f(0.0);  // Σ dY, Σ dY·xhat over the chunk's rows
  for (var r = rows.x; r < rows.y; r++) {
    let i = r * CHANNELS + c;
    sum += dY[i] * vec2f(1.0, (x[i] - mean) * invStd);
  }
  partials[(2u * gid.y) * CHANNELS + c] = sum.x;
  partials[(2u * gid.y + 1u) * CHANNELS + c] = sum.y;
}

@compute @workgroup_size(WG)
fn finishGradient(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= CHANNELS) { return; }
  var sum = vec2f(0.0);
  for (var chunk = 0u; chunk < CHUNKS; chunk++) {
    sum += vec2f(partials[(2u * chunk) * CHANNELS + c], partials[(2u * chunk + 1u) * CHANNELS + c]);
  }
  channelSums[c] = sum.x;
  channelSums[CHANNELS + c] = sum.y;
  if (SCALE) { dGammaBeta[c] = sum.y; }
  if (CENTER) { dGammaBeta[BETA_ROW * CHANNELS + c] = sum.x; }
}

@compute @workgroup_size(WG)
fn backwardInput(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = elementIndex(gid, nwg);
  if (i >= ROWS * CHANNELS) { return; }
  let c = i % CHANNELS;
  let invStd = saved[CHANNELS + c];
  let xhat = (x[i] - saved[c]) * invStd;
  let meanDY = channelSums[c] / f32(ROWS);
  let meanDYXhat = channelSums[CHANNELS + c] / f32(ROWS);
  dX[i] = gammaOf(c) * invStd * (dY[i] - meanDY - xhat * meanDYXhat);
}

// ---- backward of a frozen layer: through the moving statistics --------------------------

@compute @workgroup_size(WG)
fn frozenBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = elementIndex(gid, nwg);
  if (i >= ROWS * CHANNELS) { return; }
  let c = i % CHANNELS;
  dX[i] = dY[i] * (gammaOf(c) * inverseSqrt(movingStats[CHANNELS + c] + EPSILON));
}
