/**
 * Optimizer updates (SGD, Adam, AdamW, Adamax, Nadam, Adadelta, RMSprop, Adagrad, Lion) as one dispatch over the
 * flat parameter buffer, with Keras 3's update rules and its decoupled weight decay. The kernel takes every hyper-parameter
 * explicitly; Keras' defaults are filled in above it (src/nn/optimizers.ts).
 */
import code from '../../shaders/optimizer.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import { withChunkBlock } from './window.js';

/** The shader with vec4 values, for parameter counts that 4 divides (see the shader's comment). */
const vec4Code = withChunkBlock(code, 'alias Value = vec4f;');

export type OptimizerKind = 'sgd' | 'adam' | 'adamw' | 'adamax' | 'nadam' | 'adadelta' | 'rmsprop' | 'adagrad' | 'lion';

/**
 * An optimizer with every hyper-parameter of its kind given (nn/optimizers.ts' withDefaults
 * makes one). Every kind has Keras 3's weight_decay (0: none); AdamW is Adam with 0.004. Any
 * kind may keep Keras' moving average of the weights (use_ema: emaMomentum 0.99 by default,
 * the weights set to it every emaOverwriteFrequency steps if given).
 */
export type ResolvedOptimizer = { weightDecay: number; useEma?: boolean; emaMomentum?: number; emaOverwriteFrequency?: number } & (
  | { kind: 'sgd'; learningRate: number; momentum: number; nesterov: boolean }
  | { kind: 'adam'; learningRate: number; beta1: number; beta2: number; epsilon: number; amsgrad: boolean }
  | { kind: 'adamw'; learningRate: number; beta1: number; beta2: number; epsilon: number; amsgrad: boolean }
  | { kind: 'adamax'; learningRate: number; beta1: number; beta2: number; epsilon: number }
  | { kind: 'nadam'; learningRate: number; beta1: number; beta2: number; epsilon: number }
  | { kind: 'adadelta'; learningRate: number; rho: number; epsilon: number }
  | { kind: 'rmsprop'; learningRate: number; rho: number; momentum: number; epsilon: number; centered: boolean }
  | { kind: 'adagrad'; learningRate: number; initialAccumulatorValue: number; epsilon: number }
  | { kind: 'lion'; learningRate: number; beta1: number; beta2: number }
);

/**
 * State slots per parameter of each kind, laid out slot-major `[slots, count]`:
 * SGD [velocity], Adam, AdamW and Nadam [m, v], Adamax [m, u (the infinity norm)],
 * Adadelta [accumulated grad², accumulated delta²],
 * RMSprop [velocity, momentum, average gradient], Adagrad [accumulator], Lion [momentum];
 * Adam and AdamW with amsgrad add a third, v̂; with useEma the weights' moving average
 * follows, last (stateSlots, emaSlot).
 */
export const OPTIMIZER_STATE_SLOTS: Record<OptimizerKind, number> = { sgd: 1, adam: 2, adamw: 2, adamax: 2, nadam: 2, adadelta: 2, rmsprop: 3, adagrad: 1, lion: 1 };

/** State slots per parameter of this optimizer. */
export function stateSlots(c: ResolvedOptimizer): number {
  return OPTIMIZER_STATE_SLOTS[c.kind] + (amsgrad(c) ? 1 : 0) + (c.useEma ? 1 : 0);
}

/** The slot of the weights' moving average (useEma): the last. */
export function emaSlot(c: ResolvedOptimizer): number {
  if (!c.useEma) throw new Error(`${c.kind}: no moving average of the weights (useEma is off)`);
  return stateSlots(c) - 1;
}

/** Keras' EMA defaults: momentum 0.99, no overwriting during training. */
export const EMA_DEFAULTS = { emaMomentum: 0.99, emaOverwriteFrequency: 0 } as const;

/** Adam's or AdamW's AMSGrad variant (the running maximum of v in a third slot). */
function amsgrad(c: ResolvedOptimizer): boolean {
  return (c.kind === 'adam' || c.kind === 'adamw') && c.amsgrad;
}

const KIND: Record<OptimizerKind, number> = { sgd: 0, adam: 1, adamw: 1, adadelta: 2, rmsprop: 3, adagrad: 4, adamax: 5, nadam: 6, lion: 7 };
const WG = 256;

/**
 * The `hyper` buffer's contents, learning rate first (so a schedule rewrites only float 0);
 * the layout per kind is in shaders/optimizer.wgsl, the weight decay last. Adam and Nadam also get
 * ln β1 and ln β2 (of the float32 β the kernel sees), from which the kernel forms its bias
 * correction accurately.
 */
export function encodeHyper(c: ResolvedOptimizer): Float32Array {
  return Float32Array.of(...kindHyper(c), c.weightDecay);
}

function kindHyper(c: ResolvedOptimizer): number[] {
  switch (c.kind) {
    case 'sgd': return [c.learningRate, c.momentum, c.nesterov ? 1 : 0];
    case 'adam':
    case 'adamw':
    case 'nadam': return [c.learningRate, c.beta1, c.beta2, c.epsilon, Math.log(Math.fround(c.beta1)), Math.log(Math.fround(c.beta2))];
    case 'adamax': return [c.learningRate, c.beta1, c.beta2, c.epsilon, Math.log(Math.fround(c.beta1))];
    case 'adadelta': return [c.learningRate, c.rho, c.epsilon];
    case 'rmsprop': return [c.learningRate, c.rho, c.momentum, c.epsilon, c.centered ? 1 : 0];
    case 'adagrad': return [c.learningRate, c.epsilon];
    case 'lion': return [c.learningRate, c.beta1, c.beta2];
  }
}

/**
 * One optimizer step over `count` parameters, in place: params (count) and state
 * (slots, count) are updated from grads (count), hyper (encodeHyper) and stepInfo
 * ([t, seed, 0, 0] u32, t counting steps from 1).
 */
export async function optimizerUpdate(
  device: Device,
  config: ResolvedOptimizer,
  { count }: { count: number },
  io: { params: Binding; grads: Binding; state: Binding; hyper: Binding; stepInfo: Binding },
  /** Values per invocation; default 4 where 4 divides count, else 1. Forcing 1 is for the bench. */
  chunk: 1 | 4 = count % 4 === 0 ? 4 : 1,
): Promise<Dispatch> {
  const { kind } = config;
  const label = `${kind} update`;
  // Out-of-range accesses would be silently clamped by WebGPU's robustness: catch short buffers here.
  const needed: [string, Binding, number][] = [
    ['params', io.params, count * 4],
    ['grads', io.grads, count * 4],
    ['state', io.state, stateSlots(config) * count * 4],
    ['hyper', io.hyper, encodeHyper(config).byteLength],
    ['stepInfo', io.stepInfo, 4 * 4],
  ];
  for (const [name, binding, bytes] of needed) {
    if (bindingBytes(binding) < bytes) throw new Error(`${label}: ${name} holds ${bindingBytes(binding)} bytes, needs ${bytes}`);
  }
  if (count % chunk) throw new Error(`${label}: ${chunk} values per invocation need count % ${chunk} == 0 (count = ${count})`);
  return createDispatch(
    device,
    { label, code: chunk === 4 ? vec4Code : code, entryPoint: 'main', constants: { KIND: KIND[kind], AMSGRAD: amsgrad(config) ? 1 : 0, COUNT: count / chunk, WG, WEIGHT_DECAY_INDEX: encodeHyper(config).length - 1, ...emaConstants(config) } },
    [io.params, io.grads, io.state, io.hyper, io.stepInfo],
    grid(count / chunk, WG),
  );
}

function emaConstants(c: ResolvedOptimizer): Record<string, number> {
  if (!c.useEma) return {};
  return { USE_EMA: 1, EMA_SLOT: emaSlot(c), EMA_MOMENTUM: c.emaMomentum ?? EMA_DEFAULTS.emaMomentum, EMA_OVERWRITE: c.emaOverwriteFrequency ?? EMA_DEFAULTS.emaOverwriteFrequency };
}

function bindingBytes(binding: Binding): number {
  if (!('buffer' in binding)) return binding.size;
  return binding.size ?? binding.buffer.size - (binding.offset ?? 0);
}
