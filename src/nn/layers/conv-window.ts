/**
 * The sliding window Conv2D, DepthwiseConv2D and SeparableConv2D share: Keras' kernel_size,
 * strides, dilation_rate and padding, checked as Keras checks them, read from and written to
 * their Keras configs, and its geometry over an image.
 */
import { convGeometry, type ConvGeometry, type Padding } from '../../kernels/window.js';
import type { ConfigReader, KerasConfig } from './keras-config.js';
import { pair } from './layer.js';

export interface ConvWindow {
  kernelSize: [number, number];
  strides: [number, number];
  dilationRate: [number, number];
  padding: Padding;
}

/** The window a layer's arguments give (`kind` names the layer in errors): strides and dilation default to 1, padding to 'valid'. */
export function convWindow(kind: string, args: { kernelSize: number | [number, number]; strides?: number | [number, number]; dilationRate?: number | [number, number]; padding?: Padding }): ConvWindow {
  const window: ConvWindow = {
    kernelSize: pair(kind, 'kernelSize', args.kernelSize),
    strides: pair(kind, 'strides', args.strides ?? 1),
    dilationRate: pair(kind, 'dilationRate', args.dilationRate ?? 1),
    padding: args.padding ?? 'valid',
  };
  if (window.dilationRate.some((d) => d > 1) && window.strides.some((s) => s > 1)) {
    throw new Error(`${kind}: strides above 1 with a dilationRate above 1 are not supported, as in Keras (got strides [${window.strides}], dilationRate [${window.dilationRate}])`);
  }
  if (window.padding !== 'valid' && window.padding !== 'same') throw new Error(`${kind}: padding must be 'valid' or 'same', got '${String(args.padding)}'`);
  return window;
}

/** The window's geometry over an input [height, width, channels]; `fail` reports a shape it does not fit. */
export function windowGeometry(window: ConvWindow, inputShape: readonly number[], fail: (message: string) => never): ConvGeometry {
  if (inputShape.length !== 3) fail(`expects input [height, width, channels], got [${inputShape}]`);
  const [height, width] = inputShape;
  const [kernelH, kernelW] = window.kernelSize;
  const [strideH, strideW] = window.strides;
  const [dilationH, dilationW] = window.dilationRate;
  try {
    return convGeometry({ height, width, kernelH, kernelW, strideH, strideW, dilationH, dilationW, padding: window.padding });
  } catch (err) {
    return fail((err as Error).message);
  }
}

/** The window's arguments from a Keras config (channels_last checked): kernel_size, strides, padding, dilation_rate. */
export function readConvWindow(c: ConfigReader): ConvWindow {
  c.channelsLast();
  return { kernelSize: c.pair('kernel_size'), strides: c.pair('strides', 1), padding: c.padding(), dilationRate: c.pair('dilation_rate', 1) };
}

/** The window as Keras writes it, in its key order (the same in Conv2D, DepthwiseConv2D and SeparableConv2D). */
export function convWindowConfig(window: ConvWindow): KerasConfig {
  return {
    kernel_size: [...window.kernelSize],
    strides: [...window.strides],
    padding: window.padding,
    data_format: 'channels_last',
    dilation_rate: [...window.dilationRate],
  };
}
