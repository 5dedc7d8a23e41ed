/** Element-wise activations (linear, relu, sigmoid, tanh, leaky relu, elu, selu, softplus, swish, gelu, relu6, softsign, mish): forward and backward. */
import code from '../../shaders/activation.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

export type Activation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'leaky_relu' | 'elu' | 'selu' | 'softplus' | 'swish' | 'gelu' | 'relu6' | 'softsign' | 'mish';

const KIND: Record<Activation, number> = { linear: 0, relu: 1, sigmoid: 2, tanh: 3, leaky_relu: 4, elu: 5, selu: 6, softplus: 7, swish: 8, gelu: 9, relu6: 10, softsign: 11, mish: 12 };

/**
 * What the backward pass reads besides dY: the forward's output y, for every activation whose
 * derivative is a function of y, or its input x, for swish, gelu and mish (whose y does not
 * determine x).
 */
export function backwardReads(kind: Activation): 'input' | 'output' {
  return kind === 'swish' || kind === 'gelu' || kind === 'mish' ? 'input' : 'output';
}

/** Leaky ReLU's slope for x < 0 where none is given: Keras' activation function's default. */
export const LEAKY_RELU_SLOPE = 0.2;
const WG = 256;

/** y = f(x) over `count` elements; `negativeSlope` is leaky relu's (default LEAKY_RELU_SLOPE). */
export function activationForward(
  device: Device,
  kind: Activation,
  count: number,
  io: { x: Binding; y: Binding },
  negativeSlope = LEAKY_RELU_SLOPE,
): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: `${kind} forward`, code, entryPoint: 'forward', constants: { KIND: KIND[kind], COUNT: count, WG, NEGATIVE_SLOPE: negativeSlope } },
    [io.x, io.y],
    grid(count, WG),
  );
}

/** dX = dY · f'(x), computed from `saved`: the forward's output y, or its input x where backwardReads says so. */
export function activationBackward(
  device: Device,
  kind: Activation,
  count: number,
  io: { saved: Binding; dY: Binding; dX: Binding },
  negativeSlope = LEAKY_RELU_SLOPE,
): Promise<Dispatch> {
  return createDispatch(
    device,
    { label: `${kind} backward`, code, entryPoint: 'backward', constants: { KIND: KIND[kind], COUNT: count, WG, NEGATIVE_SLOPE: negativeSlope } },
    [io.saved, io.dX, io.dY],
    grid(count, WG),
  );
}
