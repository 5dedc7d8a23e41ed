// Batch normalization over NHWC data, per channel over the ROWS = N·H·W positions
// (a dense [N, C] input is the case H = W = 1). Keras semantics: biased batch variance,
// y = gamma·(x − mean)/sqrt(var + EPSILON) + beta, moving = moving·MOMENTUM + batch·(1 − MOMENTUM).
// CENTER = false drops beta (taken as 0), SCALE = false drops gamma (taken as 1): gammaBeta and
// dGammaBeta then hold only the parameters present, as Keras keeps only those weights.
//
// trainForward and backward run one workgroup per channel (workgroup_id.x = channel); its
// WG invocations stride over the rows and combine their sums with a tree reduction. The
// statistics take two passes over x for accuracy: the mean (of x − x[0, c], so that a large
// common offset does not use up the f32 mantissa), then the variance as the mean of (x − mean)².
//
// A frozen layer (Keras' trainable = False) runs in inference mode in training too: inferForward,
// then frozenBackward, dX = dY·gamma/sqrt(movingVariance + EPSILON), the moving statistics
// being constants; nothing else is written.
//
// Backward, with xhat = (x − mean)·invStd:
//   dBeta = Σ dY,  dGamma = Σ dY·xhat,
//   dX = gamma·invStd·(dY − dBeta/ROWS − xhat·dGamma/ROWS).
//
// Buffers ((2, CHANNELS) ones hold two rows of CHANNELS values):
//   x, y, dY, dX: (ROWS, CHANNELS)
//   gammaBeta:    (SCALE + CENTER, CHANNELS) gamma (if SCALE), then beta (if CENTER); with
//                 neither, any buffer (it is not read)
//   dGammaBeta:   the same layout: dGamma, dBeta (overwritten); with neither, not written
//   moving:       (2, CHANNELS) moving mean, moving variance
//   saved:        (2, CHANNELS) batch mean, invStd = 1/sqrt(batch variance + EPSILON)
// Bindings of each entry point (the numbers are reused between entry points):
//   trainForward:  0 x   1 gammaBeta   2 y    3 moving (read_write)   4 saved (written)
//   inferForward:  0 x   1 gammaBeta   2 y    3 movingStats (read)
//   backward:      0 x   1 gammaBeta   2 dX   3 savedStats (read)   4 dY   5 dGammaBeta
//   frozenBackward:      1 gammaBeta   2 dX   3 movingStats (read)  4 dY
// inferForward and frozenBackward are element-wise, laid out by grid(ROWS·CHANNELS, WG).
// WG must be a power of two (tree reduction).

override ROWS: u32;
override CHANNELS: u32;
override WG: u32 = 256u;
override MOMENTUM: f32 = 0.99;
override EPSILON: f32 = 0.001;
override CENTER: bool = true;
override SCALE: bool = true;
// The row of beta in gammaBeta: 1 after gamma, 0 without it.
override BETA_ROW: u32 = select(0u, 1u, SCALE);

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> gammaBeta: array<f32>;

// (Branches, not select(): select would read an absent row.)
fn gammaOf(channel: u32) -> f32 {
  if (SCALE) { return gammaBeta[channel]; }
  return 1.0;
}
fn betaOf(channel: u32) -> f32 {
  if (CENTER) { return gammaBeta[BETA_ROW * CHANNELS + channel]; }
  return 0.0;
}

var<workgroup> sums: array<vec2f, WG>;

// Sum of `value` over the workgroup's WG invocations (all of them must call it).
fn workgroupSum(lid: u32, value: vec2f) -> vec2f {
  sums[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { sums[lid] += sums[lid + stride]; }
    workgroupBarrier();
  }
  let total = sums[0];
  workgroupBarrier();
  return total;
}

// ---- training forward: batch statistics -------------------------------------------------

@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> moving: array<f32>;
@group(0) @binding(4) var<storage, read_write> saved: array<f32>;

@compute @workgroup_size(WG)
fn trainForward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let channel = wid.x;
  let shift = x[channel];
  var shiftedSum = 0.0;
  for (var row = lid; row < ROWS; row += WG) { shiftedSum += x[row * CHANNELS + channel] - shift; }
  let mean = shift + workgroupSum(lid, vec2f(shiftedSum, 0.0)).x / f32(ROWS);

  var squares = 0.0;
  for (var row = lid; row < ROWS; row += WG) {
    let centered = x[row * CHANNELS + channel] - mean;
    squares += centered * centered;
  }
  let variance = workgroupSum(lid, vec2f(squares, 0.0)).x / f32(ROWS);
  let invStd = inverseSqrt(variance + EPSILON);

  let scale = gammaOf(channel) * invStd;
  let beta = betaOf(channel);
  for (var row = lid; row < ROWS; row += WG) {
    let i = row * CHANNELS + channel;
    y[i] = (x[i] - mean) * scale + beta;
  }
  if (lid == 0u) {
    saved[channel] = mean;
    saved[CHANNELS + channel] = invStd;
    moving[channel] = moving[channel] * MOMENTUM + mean * (1.0 - MOMENTUM);
    moving[CHANNELS + channel] = moving[CHANNELS + channel] * MOMENTUM + variance * (1.0 - MOMENTUM);
  }
}

// ---- inference forward: moving statistics -----------------------------------------------

@group(0) @binding(3) var<storage, read> movingStats: array<f32>;

@compute @workgroup_size(WG)
fn inferForward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= ROWS * CHANNELS) { return; }
  let channel = i % CHANNELS;
  let invStd = inverseSqrt(movingStats[CHANNELS + channel] + EPSILON);
  y[i] = (x[i] - movingStats[channel]) * (gammaOf(channel) * invStd) + betaOf(channel);
}

// ---- backward ---------------------------------------------------------------------------

@group(0) @binding(2) var<storage, read_write> dX: array<f32>;
@group(0) @binding(3) var<storage, read> savedStats: array<f32>;
@group(0) @binding(4) var<storage, read> dY: array<f32>;
@group(0) @binding(5) var<storage, read_write> dGammaBeta: array<f32>;

@compute @workgroup_size(WG)
fn backward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let channel = wid.x;
  let mean = savedStats[channel];
  let invStd = savedStats[CHANNELS + channel];
  var partial = vec2f(0.0);  // Σ dY, Σ dY·xhat over this invocation's rows
  for (var row = lid; row < ROWS; row += WG) {
    let i = row * CHANNELS + channel;
    partial += dY[i] * vec2f(1.0, (x[i] - mean) * invStd);
  }
  let total = workgroupSum(lid, partial);
  let dBeta = total.x;
  let dGamma = total.y;

  let meanDY = dBeta / f32(ROWS);
  let meanDYXhat = dGamma / f32(ROWS);
  let scale = gammaOf(channel) * invStd;
  for (var row = lid; row < ROWS; row += WG) {
    let i = row * CHANNELS + channel;
    let xhat = (x[i] - mean) * invStd;
    dX[i] = scale * (dY[i] - meanDY - xhat * meanDYXhat);
  }
  if (lid == 0u) {
    if (SCALE) { dGammaBeta[channel] = dGamma; }
    if (CENTER) { dGammaBeta[BETA_ROW * CHANNELS + channel] = dBeta; }
  }
}

// ---- backward of a frozen layer: through the moving statistics --------------------------

@compute @workgroup_size(WG)
fn frozenBackward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= ROWS * CHANNELS) { return; }
  let channel = i % CHANNELS;
  dX[i] = dY[i] * (gammaOf(channel) * inverseSqrt(movingStats[CHANNELS + channel] + EPSILON));
}
