// Row softmax, and softmax fused with categorical cross-entropy (its gradient and the
// loss/accuracy metrics).
//
// One invocation owns one row and loops over its COLS entries: the engine's class counts are
// small (10 for MNIST, ~1000 at most), and a row per invocation keeps every reduction over a
// row in registers. Every row is computed stably through log-sum-exp: with m = max(row) and
// S = Σ exp(l − m), softmax = exp(l − m) / S and log softmax = (l − m) − log S.
//
// Cross-entropy of one row with targets t (one-hot or soft labels, f32):
//   loss  = −Σ t·log softmax(l) = (Σ t)·log S − Σ t·(l − m)       (both terms ≥ 0 for t ≥ 0)
//   dLoss/dl = softmax·(Σ t) − t, which is softmax − t for targets that sum to 1.
// The batch loss is the MEAN over rows, so dLogits = (softmax·Σt − t) / ROWS.
// A row is correct when argmax(logits) == argmax(targets), the first index winning ties.
//
// The metrics are ACCUMULATED, so the host can sum many steps and read back once:
//   metrics: (4) = [lossSum, correctCount, sampleCount, 0]; the host zeroes it (writeBuffer).
// The counts are f32, exact up to 2²⁴ ≈ 16.7M samples between two clears.
// Two passes, because WGSL has no float atomics:
//   1. crossEntropyTrain / crossEntropyEval: workgroup g (WG rows) sums its rows' loss and
//      correct count into partials[g];
//   2. crossEntropyFinish: one workgroup adds all partials to metrics.
//
// Bindings of each entry point (the numbers are reused between entry points):
//   softmaxRows:        0 x: (ROWS, COLS)        1 y: (ROWS, COLS)
//   crossEntropyTrain:  0 logits: (ROWS, COLS)   1 targets: (ROWS, COLS)
//                       2 partials: (PARTIALS, 2) [loss, correct] per row workgroup
//                       3 dLogits: (ROWS, COLS)
//   crossEntropyEval:   0 logits   1 targets   2 partials            (no gradient)
//   crossEntropyFinish: 0 partialsIn: (PARTIALS, 2)   1 metrics: (4)
//
// Row passes are laid out by grid(ROWS, WG): row = gid.x + gid.y * (num_workgroups.x * WG).
// WG must be a power of two (tree reduction).

override ROWS: u32;
override COLS: u32;
override WG: u32 = 64u;
override PARTIALS: u32 = 1u;

// ---- plain row softmax ----------------------------------------------------------------

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn softmaxRows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let row = gid.x + gid.y * nwg.x * WG;
  if (row >= ROWS) { return; }
  let base = row * COLS;
  var largest = x[base];
  for (var c = 1u; c < COLS; c++) { largest = max(largest, x[base + c]); }
  var expSum = 0.0;
  for (var c = 0u; c < COLS; c++) { expSum += exp(x[base + c] - largest); }
  for (var c = 0u; c < COLS; c++) { y[base + c] = exp(x[base + c] - largest) / expSum; }
}

// ---- cross-entropy: per-row passes -----------------------------------------------------

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> dLogits: array<f32>;

struct RowLoss {
  largest: f32,    // m = max of the row's logits
  expSum: f32,     // S = Σ exp(l − m)
  targetSum: f32,  // Σ t
  loss: f32,       // −Σ t·log softmax
  correct: f32,    // 1 when argmax(logits) == argmax(targets), else 0
}

fn rowLoss(row: u32) -> RowLoss {
  let base = row * COLS;
  var largest = logits[base];
  var predicted = 0u;
  var largestTarget = targets[base];
  var expected = 0u;
  for (var c = 1u; c < COLS; c++) {
    let l = logits[base + c];
    if (l > largest) { largest = l; predicted = c; }
    let t = targets[base + c];
    if (t > largestTarget) { largestTarget = t; expected = c; }
  }
  var expSum = 0.0;
  var targetSum = 0.0;
  var targetDotShifted = 0.0;  // Σ t·(l − m)
  for (var c = 0u; c < COLS; c++) {
    let shifted = logits[base + c] - largest;
    let t = targets[base + c];
    expSum += exp(shifted);
    targetSum += t;
    targetDotShifted += t * shifted;
  }
  let loss = targetSum * log(expSum) - targetDotShifted;
  return RowLoss(largest, expSum, targetSum, loss, select(0.0, 1.0, predicted == expected));
}

var<workgroup> rowSums: array<vec2f, WG>;

// Sum of `value` over the workgroup's WG invocations (all of them must call it).
fn workgroupSum(lid: u32, value: vec2f) -> vec2f {
  rowSums[lid] = value;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride /= 2u) {
    if (lid < stride) { rowSums[lid] += rowSums[lid + stride]; }
    workgroupBarrier();
  }
  let total = rowSums[0];
  workgroupBarrier();
  return total;
}

// Writes [Σ loss, Σ correct] of this workgroup's rows to partials[group].
fn writePartial(gid: vec3u, nwg: vec3u, lid: u32, lossAndCorrect: vec2f) {
  let total = workgroupSum(lid, lossAndCorrect);
  if (lid == 0u) {
    let group = (gid.x + gid.y * nwg.x * WG) / WG;
    partials[2u * group] = total.x;
    partials[2u * group + 1u] = total.y;
  }
}

@compute @workgroup_size(WG)
fn crossEntropyTrain(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = gid.x + gid.y * nwg.x * WG;
  var lossAndCorrect = vec2f(0.0);
  if (row < ROWS) {
    let r = rowLoss(row);
    lossAndCorrect = vec2f(r.loss, r.correct);
    let base = row * COLS;
    let probabilityScale = r.targetSum / r.expSum;
    for (var c = 0u; c < COLS; c++) {
      let weightedProbability = exp(logits[base + c] - r.largest) * probabilityScale;
      dLogits[base + c] = (weightedProbability - targets[base + c]) / f32(ROWS);
    }
  }
  writePartial(gid, nwg, lid, lossAndCorrect);
}

@compute @workgroup_size(WG)
fn crossEntropyEval(
  @builtin(global_invocation_id) gid: vec3u,
  @builtin(num_workgroups) nwg: vec3u,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = gid.x + gid.y * nwg.x * WG;
  var lossAndCorrect = vec2f(0.0);
  if (row < ROWS) {
    let r = rowLoss(row);
    lossAndCorrect = vec2f(r.loss, r.correct);
  }
  writePartial(gid, nwg, lid, lossAndCorrect);
}

// ---- cross-entropy: finish (one workgroup) ---------------------------------------------

@group(0) @binding(0) var<storage, read> partialsIn: array<f32>;
@group(0) @binding(1) var<storage, read_write> metrics: array<f32>;

@compute @workgroup_size(WG)
fn crossEntropyFinish(@builtin(local_invocation_index) lid: u32) {
  var lossAndCorrect = vec2f(0.0);
  for (var g = lid; g < PARTIALS; g += WG) {
    lossAndCorrect += vec2f(partialsIn[2u * g], partialsIn[2u * g + 1u]);
  }
  let total = workgroupSum(lid, lossAndCorrect);
  if (lid == 0u) {
    metrics[0] += total.x;
    metrics[1] += total.y;
    metrics[2] += f32(ROWS);
  }
}
