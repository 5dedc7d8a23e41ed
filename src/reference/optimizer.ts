/** Float64 reference for the optimizer updates: Keras 3's rules, written out per parameter. */
import { EMA_DEFAULTS, emaSlot } from '../kernels/optimizer.js';
import { optimizerStateSlots, withDefaults, type OptimizerConfig } from '../nn/optimizers.js';

/**
 * One optimizer step at step count t (1-based), in place: params (count) and state
 * (slots, count), slot-major as in shaders/optimizer.wgsl, from grads (count).
 * Adam's bias correction uses β^t directly (the kernel's expm1 form is its own business).
 */
export function optimizerStepRef(
  config: OptimizerConfig,
  params: Float64Array,
  grads: ArrayLike<number>,
  state: Float64Array,
  t: number,
): void {
  const c = withDefaults(config);
  const count = params.length;
  if (grads.length !== count || state.length !== optimizerStateSlots(c) * count) {
    throw new Error(`optimizerStepRef: ${count} params, ${grads.length} grads, ${state.length} state values for ${c.kind}`);
  }
  // The parameter's k-th state slot.
  const slot = (k: number, i: number) => k * count + i;
  for (let i = 0; i < count; i++) {
    // Keras 3's decoupled weight decay, before the update.
    params[i] -= params[i] * c.weightDecay * c.learningRate;
    const g = grads[i];
    switch (c.kind) {
      case 'sgd': {
        if (c.momentum === 0) {
          params[i] -= c.learningRate * g;
          break;
        }
        const v = c.momentum * state[i] - c.learningRate * g;
        state[i] = v;
        params[i] += c.nesterov ? c.momentum * v - c.learningRate * g : v;
        break;
      }
      case 'adam':
      case 'adamw': {
        const alpha = (c.learningRate * Math.sqrt(1 - c.beta2 ** t)) / (1 - c.beta1 ** t);
        const m = c.beta1 * state[slot(0, i)] + (1 - c.beta1) * g;
        const v = c.beta2 * state[slot(1, i)] + (1 - c.beta2) * g * g;
        state[slot(0, i)] = m;
        state[slot(1, i)] = v;
        // AMSGrad divides by the largest v so far, kept in a third slot.
        const vUsed = c.amsgrad ? Math.max(state[slot(2, i)], v) : v;
        if (c.amsgrad) state[slot(2, i)] = vUsed;
        params[i] -= (m * alpha) / (Math.sqrt(vUsed) + c.epsilon);
        break;
      }
      case 'adadelta': {
        const rms = (x: number) => Math.sqrt(x + c.epsilon);
        const accumulatedGrad = c.rho * state[slot(0, i)] + (1 - c.rho) * g * g;
        const accumulatedDelta = state[slot(1, i)];
        const delta = (-rms(accumulatedDelta) * g) / rms(accumulatedGrad);
        state[slot(0, i)] = accumulatedGrad;
        state[slot(1, i)] = c.rho * accumulatedDelta + (1 - c.rho) * delta * delta;
        params[i] += c.learningRate * delta;
        break;
      }
      case 'rmsprop': {
        const velocity = c.rho * state[slot(0, i)] + (1 - c.rho) * g * g;
        state[slot(0, i)] = velocity;
        let denominator = velocity + c.epsilon;
        if (c.centered) {
          const averageGrad = c.rho * state[slot(2, i)] + (1 - c.rho) * g;
          state[slot(2, i)] = averageGrad;
          denominator = velocity - averageGrad * averageGrad + c.epsilon;
        }
        const increment = (c.learningRate * g) / Math.sqrt(denominator);
        if (c.momentum !== 0) {
          const update = c.momentum * state[slot(1, i)] + increment;
          state[slot(1, i)] = update;
          params[i] -= update;
        } else {
          params[i] -= increment;
        }
        break;
      }
      case 'adamax': {
        const m = c.beta1 * state[slot(0, i)] + (1 - c.beta1) * g;
        const u = Math.max(c.beta2 * state[slot(1, i)], Math.abs(g));
        state[slot(0, i)] = m;
        state[slot(1, i)] = u;
        params[i] -= (c.learningRate * m) / ((1 - c.beta1 ** t) * (u + c.epsilon));
        break;
      }
      case 'nadam': {
        // Keras' u_product, P_t = μ_1···μ_t, multiplied out (the kernel sums a series for its log).
        const mu = (step: number) => c.beta1 * (1 - 0.5 * 0.96 ** step);
        let product = 1;
        for (let step = 1; step <= t; step++) product *= mu(step);
        const m = c.beta1 * state[slot(0, i)] + (1 - c.beta1) * g;
        const v = c.beta2 * state[slot(1, i)] + (1 - c.beta2) * g * g;
        state[slot(0, i)] = m;
        state[slot(1, i)] = v;
        const mHat = (mu(t + 1) * m) / (1 - product * mu(t + 1)) + ((1 - mu(t)) * g) / (1 - product);
        const vHat = v / (1 - c.beta2 ** t);
        params[i] -= (c.learningRate * mHat) / (Math.sqrt(vHat) + c.epsilon);
        break;
      }
      case 'adagrad': {
        const accumulator = state[i] + g * g;
        state[i] = accumulator;
        params[i] -= (c.learningRate * g) / Math.sqrt(accumulator + c.epsilon);
        break;
      }
      case 'lion': {
        const m = state[i];
        params[i] -= c.learningRate * Math.sign(c.beta1 * m + (1 - c.beta1) * g);
        state[i] = c.beta2 * m + (1 - c.beta2) * g;
        break;
      }
    }
    // Keras' use_ema: the average after the update (the weights themselves at the first step),
    // and every emaOverwriteFrequency steps the weights set to it.
    if (c.useEma) {
      const ema = slot(emaSlot(c), i);
      const momentum = t === 1 ? 0 : (c.emaMomentum ?? EMA_DEFAULTS.emaMomentum);
      state[ema] = momentum * state[ema] + (1 - momentum) * params[i];
      const every = c.emaOverwriteFrequency ?? EMA_DEFAULTS.emaOverwriteFrequency;
      if (every > 0 && t % every === 0) params[i] = state[ema];
    }
  }
}
