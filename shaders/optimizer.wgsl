// Optimizer update: one dispatch updates every trainable parameter, element-wise, with
// Keras 3's update rules (keras/src/optimizers/*.py). g is the gradient, lr the learning rate.
//
//   weight decay (any kind, Keras 3's weight_decay wd; AdamW's 0.004 by default), first:
//             p −= p·wd·lr, decoupled from the gradient
//
//   SGD       momentum 0: p −= lr·g;  otherwise v = momentum·v − lr·g and p += v,
//             or with nesterov p += momentum·v − lr·g
//   Adam      m += (g − m)(1 − β1);  v += (g² − v)(1 − β2);
//             p −= m·α / (√v + ε)  with  α = lr·√(1 − β2^t) / (1 − β1^t);
//             AMSGRAD: v̂ = max(v̂, v) in a third slot, used in v's place
//   Adadelta  a = ρ·a + (1 − ρ)g²;  Δ = −√(d + ε)·g / √(a + ε);  d = ρ·d + (1 − ρ)Δ²;  p += lr·Δ
//   RMSprop   v = ρ·v + (1 − ρ)g²;  centered: c = ρ·c + (1 − ρ)g, denominator v − c² + ε,
//             otherwise v + ε;  inc = lr·g / √denominator;  momentum 0: p −= inc,
//             otherwise u = momentum·u + inc and p −= u
//   Adagrad   a += g²;  p −= lr·g / √(a + ε)
//   Adamax    m += (g − m)(1 − β1);  u = max(β2·u, |g|);  p −= lr·m / ((1 − β1^t)(u + ε))
//   Nadam     m and v as Adam's;  with μ_i = β1(1 − ½·0.96^i) and P_t = μ_1···μ_t:
//             m̂ = μ_{t+1}·m / (1 − P_{t+1}) + (1 − μ_t)·g / (1 − P_t);  v̂ = v / (1 − β2^t);
//             p −= lr·m̂ / (√v̂ + ε)
//   Lion      p −= lr·sign(β1·m + (1 − β1)g);  m = β2·m + (1 − β2)g
//
//   EMA (any kind, Keras' use_ema), after the update: a = μ·a + (1 − μ)·p with μ = EMA_MOMENTUM
//             (0 at step 1, so the first average is the weights), in the last slot EMA_SLOT;
//             every EMA_OVERWRITE steps (0: never) p = a. (At the end of fit the host copies
//             the averages into the weights, as Keras' finalize_variable_values does.)
//
// Each kind has a fixed number of state slots. A slot its options leave unused (SGD's without
// momentum, RMSprop's u without momentum and c when not centered) is neither read nor
// written; those branches test hyper-parameters, so they are uniform over the dispatch.
//
// Bindings:
//   params:   (COUNT)         every trainable parameter, flat (updated in place)
//   grads:    (COUNT)         their gradients, same layout
//   state:    (SLOTS, COUNT)  optimizer state, slot-major: slot k of chunk i at k·COUNT + i
//                             SGD [v]  Adam [m, v] (AMSGRAD: [m, v, v̂])  Adadelta [a, d]
//                             RMSprop [v, u, c]  Adagrad [a]  Adamax [m, u]  Lion [m]
//                             (USE_EMA: then the weights' average)
//   hyper:    (H)             hyper-parameters, learning rate first and weight decay last
//                             (at WEIGHT_DECAY_INDEX), written by the host only when they
//                             change:
//                             SGD      [lr, momentum, nesterov (0 or 1), wd]
//                             Adam(W), Nadam  [lr, β1, β2, ε, ln β1, ln β2, wd]
//                             Adadelta [lr, ρ, ε, wd]
//                             RMSprop  [lr, ρ, momentum, ε, centered (0 or 1), wd]
//                             Adagrad  [lr, ε, wd]
//                             Adamax   [lr, β1, β2, ε, ln β1, wd]
//                             Lion     [lr, β1, β2, wd]
//   stepInfo: (4) u32         [t = 1-based optimizer step, seed, 0, 0]
//
// params, grads and state are read as arrays of Value: f32, or vec4f when 4 divides the
// parameter count (it does for a model's flat buffer, every tensor aligned to 64 values); each
// invocation updates one Value and COUNT counts Values. The block between the CHUNK markers
// below is the scalar form; src/kernels/optimizer.ts swaps in the vec4 form. Every rule is
// element-wise, so the same code serves both; four values per invocation cut the index
// arithmetic and the bounds clamps per value by four.
//
// KIND: 0 = SGD, 1 = Adam and AdamW, 2 = Adadelta, 3 = RMSprop, 4 = Adagrad, 5 = Adamax,
// 6 = Nadam, 7 = Lion. AMSGRAD (1: on) applies to Adam and AdamW.
// Invocations are laid out by grid() in src/runtime/dispatch.ts: flat index
// gid.x + gid.y * (num_workgroups.x * WG).

// BEGIN CHUNK
alias Value = f32;
// END CHUNK

override KIND: u32;
override AMSGRAD: u32 = 0u;
override COUNT: u32;
override WEIGHT_DECAY_INDEX: u32;
override USE_EMA: u32 = 0u;
override EMA_SLOT: u32 = 0u;
override EMA_MOMENTUM: f32 = 0.99;
override EMA_OVERWRITE: u32 = 0u;
override WG: u32 = 256u;

@group(0) @binding(0) var<storage, read_write> params: array<Value>;
@group(0) @binding(1) var<storage, read> grads: array<Value>;
@group(0) @binding(2) var<storage, read_write> state: array<Value>;
@group(0) @binding(3) var<storage, read> hyper: array<f32>;
@group(0) @binding(4) var<storage, read> stepInfo: array<u32>;

fn sgd(i: u32, g: Value) {
  let lr = hyper[0];
  let momentum = hyper[1];
  let nesterov = hyper[2] != 0.0;
  if (momentum == 0.0) {
    params[i] -= lr * g;
    return;
  }
  let v = momentum * state[i] - lr * g;
  state[i] = v;
  params[i] += select(v, momentum * v - lr * g, nesterov);
}

// e^x − 1 without the cancellation of exp(x) − 1 near 0: a Taylor polynomial for |x| < 0.1
// (truncation error below 2e-8 relative), exp(x) − 1 beyond (where it loses at most ~10×).
fn expm1(x: f32) -> f32 {
  if (abs(x) < 0.1) {
    return x * (1.0 + x / 2.0 * (1.0 + x / 3.0 * (1.0 + x / 4.0 * (1.0 + x / 5.0))));
  }
  return exp(x) - 1.0;
}

// 1 − β^t from ln β (computed on the host in float64): accurate for small t too, where
// 1 − pow(β, t) cancels (on SwiftShader it was 6e-5 off at t = 1, β = 0.999).
fn oneMinusPower(lnBeta: f32, t: f32) -> f32 {
  return -expm1(t * lnBeta);
}

struct Moments {
  m: Value,
  v: Value,
}

// Adam's and Nadam's moving averages of g and g², slots 0 and 1: updated in place, and returned.
fn updateMoments(i: u32, g: Value, beta1: f32, beta2: f32) -> Moments {
  let m = state[i] + (g - state[i]) * (1.0 - beta1);
  let v = state[COUNT + i] + (g * g - state[COUNT + i]) * (1.0 - beta2);
  state[i] = m;
  state[COUNT + i] = v;
  return Moments(m, v);
}

fn adam(i: u32, g: Value) {
  let lr = hyper[0];
  let beta1 = hyper[1];
  let beta2 = hyper[2];
  let epsilon = hyper[3];
  let t = f32(stepInfo[0]);
  let alpha = lr * sqrt(oneMinusPower(hyper[5], t)) / oneMinusPower(hyper[4], t);
  let moments = updateMoments(i, g, beta1, beta2);
  var v = moments.v;
  if (AMSGRAD == 1u) {
    v = max(state[2u * COUNT + i], v);
    state[2u * COUNT + i] = v;
  }
  params[i] -= moments.m * alpha / (sqrt(v) + epsilon);
}

fn adadelta(i: u32, g: Value) {
  let lr = hyper[0];
  let rho = hyper[1];
  let epsilon = hyper[2];
  let accumulatedGrad = rho * state[i] + (1.0 - rho) * g * g;
  let accumulatedDelta = state[COUNT + i];
  let delta = -sqrt(accumulatedDelta + epsilon) * g / sqrt(accumulatedGrad + epsilon);
  state[i] = accumulatedGrad;
  state[COUNT + i] = rho * accumulatedDelta + (1.0 - rho) * delta * delta;
  params[i] += lr * delta;
}

fn rmsprop(i: u32, g: Value) {
  let lr = hyper[0];
  let rho = hyper[1];
  let momentum = hyper[2];
  let epsilon = hyper[3];
  let centered = hyper[4] != 0.0;
  let velocity = rho * state[i] + (1.0 - rho) * g * g;
  state[i] = velocity;
  var denominator = velocity + epsilon;
  if (centered) {
    let averageGrad = rho * state[2u * COUNT + i] + (1.0 - rho) * g;
    state[2u * COUNT + i] = averageGrad;
    denominator = velocity - averageGrad * averageGrad + epsilon;
  }
  let increment = lr * g / sqrt(denominator);
  if (momentum == 0.0) {
    params[i] -= increment;
    return;
  }
  let update = momentum * state[COUNT + i] + increment;
  state[COUNT + i] = update;
  params[i] -= update;
}

fn adagrad(i: u32, g: Value) {
  let lr = hyper[0];
  let epsilon = hyper[1];
  let accumulator = state[i] + g * g;
  state[i] = accumulator;
  params[i] -= lr * g / sqrt(accumulator + epsilon);
}

fn adamax(i: u32, g: Value) {
  let lr = hyper[0];
  let beta1 = hyper[1];
  let beta2 = hyper[2];
  let epsilon = hyper[3];
  let t = f32(stepInfo[0]);
  let m = state[i] + (g - state[i]) * (1.0 - beta1);
  let u = max(beta2 * state[COUNT + i], abs(g));
  state[i] = m;
  state[COUNT + i] = u;
  params[i] -= lr * m / (oneMinusPower(hyper[4], t) * (u + epsilon));
}

// ln 0.96: Nadam's momentum decay (Keras casts 0.96 to float32; the difference, 2e-9, is far
// below float32's rounding of what it feeds).
const LN_NADAM_DECAY: f32 = -0.040821994520255166;
// Terms of the series in nadamLnProduct: the next, 0.48^25 / 25 / (1 − 0.96^25), is below 2e-9.
const NADAM_TERMS: u32 = 24u;

// ln P_t = t·ln β1 + Σ_{i=1..t} ln(1 − ½·0.96^i). Keras keeps P_t as a variable that each step
// multiplies by μ_t; an element-wise kernel has no place for a scalar one invocation updates
// and all read, so every invocation recomputes it from t. The sum, by ln(1 − x) = −Σ_k x^k / k
// and the geometric sums over i, is −Σ_k (0.48^k / k)·(1 − 0.96^{kt}) / (1 − 0.96^k): the same
// few terms for any t, where the product itself would take t multiplications.
fn nadamLnProduct(lnBeta1: f32, t: f32) -> f32 {
  var sum = 0.0;
  var power = 1.0; // 0.48^k
  for (var k = 1u; k <= NADAM_TERMS; k++) {
    let kf = f32(k);
    power *= 0.48;
    sum -= power / kf * oneMinusPower(kf * LN_NADAM_DECAY, t) / oneMinusPower(LN_NADAM_DECAY, kf);
  }
  return t * lnBeta1 + sum;
}

fn nadam(i: u32, g: Value) {
  let lr = hyper[0];
  let beta1 = hyper[1];
  let beta2 = hyper[2];
  let epsilon = hyper[3];
  let t = f32(stepInfo[0]);
  let mu = beta1 * (1.0 - 0.5 * exp(t * LN_NADAM_DECAY));
  let muNext = beta1 * (1.0 - 0.5 * exp((t + 1.0) * LN_NADAM_DECAY));
  let lnProduct = nadamLnProduct(hyper[4], t);
  let oneMinusProduct = -expm1(lnProduct);
  let oneMinusProductNext = -expm1(lnProduct + log(muNext));
  let moments = updateMoments(i, g, beta1, beta2);
  let mHat = muNext * moments.m / oneMinusProductNext + (1.0 - mu) * g / oneMinusProduct;
  let vHat = moments.v / oneMinusPower(hyper[5], t);
  params[i] -= lr * mHat / (sqrt(vHat) + epsilon);
}

fn lion(i: u32, g: Value) {
  let lr = hyper[0];
  let beta1 = hyper[1];
  let beta2 = hyper[2];
  let m = state[i];
  params[i] -= lr * sign(m * beta1 + g * (1.0 - beta1));
  state[i] = m * beta2 + g * (1.0 - beta2);
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= COUNT) { return; }
  let weightDecay = hyper[WEIGHT_DECAY_INDEX];
  if (weightDecay != 0.0) {
    params[i] -= params[i] * weightDecay * hyper[0];
  }
  let g = grads[i];
  switch KIND {
    case 0u: { sgd(i, g); }
    case 1u: { adam(i, g); }
    case 2u: { adadelta(i, g); }
    case 3u: { rmsprop(i, g); }
    case 4u: { adagrad(i, g); }
    case 5u: { adamax(i, g); }
    case 6u: { nadam(i, g); }
    default: { lion(i, g); }
  }
  if (USE_EMA == 1u) {
    let step = stepInfo[0];
    let momentum = select(EMA_MOMENTUM, 0.0, step == 1u);
    let slot = EMA_SLOT * COUNT + i;
    let average = state[slot] * momentum + params[i] * (1.0 - momentum);
    state[slot] = average;
    // (max(): a modulo by the constant 0 does not compile, even where the branch is dead.)
    if (EMA_OVERWRITE != 0u && step % max(EMA_OVERWRITE, 1u) == 0u) { params[i] = average; }
  }
}
