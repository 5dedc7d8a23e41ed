/**
 * Random affine transforms of NHWC images (Keras' RandomRotation, RandomZoom,
 * RandomTranslation and RandomFlip at training time): one pass draws each sample's map, a second samples
 * the input through it (shaders/affine-transform.wgsl). The draws come from a counter-based
 * hash of (step, seed, layer seed, sample), so nothing random is stored between steps.
 */
import affineCode from '../../shaders/affine-transform.wgsl';
import randomCode from '../../shaders/random.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';

const WG = 64;
/** The kernel with the random bits it draws (shaders/random.wgsl). */
const code = `${affineCode}\n${randomCode}`;

/** Where a tap outside the image reads, as Keras' fill_mode. */
export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest';
export const FILL_MODES: readonly FillMode[] = ['reflect', 'wrap', 'constant', 'nearest'];
export type Interpolation = 'bilinear' | 'nearest';
export const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'nearest'];

/** Floats per sample in the transforms buffer: Keras' [a0 a1 a2 b0 b1 b2 c0 c1], c0 = c1 = 0. */
export const TRANSFORM_FLOATS = 8;

/**
 * How each sample's map is drawn; every range is [low, high), each draw low + (high − low)·u.
 * rotation: the angle in radians, about the image's centre. zoom: the height's and width's
 * factors (the width takes the height's draw when `width` is absent), about the centre.
 * translation: shifts as fractions of the height and the width. flip: with probability ½, the
 * columns and/or the rows reversed (both on one draw, as Keras' RandomFlip).
 */
export type TransformDraw =
  | { kind: 'rotation'; radians: [number, number] }
  | { kind: 'zoom'; height: [number, number]; width?: [number, number] }
  | { kind: 'translation'; height: [number, number]; width: [number, number] }
  | { kind: 'flip'; columns: boolean; rows: boolean };

export interface ImageShape {
  batch: number;
  height: number;
  width: number;
  channels: number;
}

/** The draw's ranges as the shader's constants (KIND, LOW0/HIGH0 for draw 0, LOW1/HIGH1 for draw 1). */
function drawConstants(draw: TransformDraw): Record<string, number> {
  switch (draw.kind) {
    case 'rotation':
      return { KIND: 0, LOW0: draw.radians[0], HIGH0: draw.radians[1] };
    case 'zoom': {
      const width = draw.width ?? draw.height;
      return { KIND: 1, LOW0: draw.height[0], HIGH0: draw.height[1], LOW1: width[0], HIGH1: width[1], SAME_ZOOM: draw.width ? 0 : 1 };
    }
    case 'translation':
      return { KIND: 2, LOW0: draw.height[0], HIGH0: draw.height[1], LOW1: draw.width[0], HIGH1: draw.width[1] };
    case 'flip':
      return { KIND: 3, LOW0: 0, HIGH0: 1, FLIP_COLUMNS: draw.columns ? 1 : 0, FLIP_ROWS: draw.rows ? 1 : 0 };
  }
}

/**
 * Draws each sample's map into `transforms`: (batch, 8) floats. stepInfo: (4) u32 =
 * [step, seed, 0, 0]; `layerSeed` (a u32) keeps the layers' draws apart.
 */
export function sampleTransforms(
  device: Device,
  shape: ImageShape,
  draw: TransformDraw,
  layerSeed: number,
  io: { stepInfo: Binding; transforms: Binding },
): Promise<Dispatch> {
  const constants = { WG, BATCH: shape.batch, HEIGHT: shape.height, WIDTH: shape.width, LAYER_SEED: layerSeed >>> 0, ...drawConstants(draw) };
  return createDispatch(device, { label: `random ${draw.kind} draw`, code, entryPoint: 'sampleTransforms', constants }, [io.stepInfo, io.transforms], grid(shape.batch, WG));
}

/**
 * y[n, y, x, c] = x sampled at sample n's map of (x, y), as keras.ops.image.affine_transform.
 * x, y: (batch, height, width, channels); transforms: (batch, 8).
 */
export function affineTransform(
  device: Device,
  shape: ImageShape,
  fill: { mode: FillMode; value: number; interpolation: Interpolation },
  io: { x: Binding; transforms: Binding; y: Binding },
): Promise<Dispatch> {
  const count = shape.batch * shape.height * shape.width * shape.channels;
  const constants = {
    WG,
    BATCH: shape.batch,
    HEIGHT: shape.height,
    WIDTH: shape.width,
    CHANNELS: shape.channels,
    FILL_MODE: FILL_MODES.indexOf(fill.mode),
    FILL_VALUE: fill.value,
    NEAREST: fill.interpolation === 'nearest' ? 1 : 0,
  };
  return createDispatch(device, { label: 'affine transform', code, entryPoint: 'affineTransform', constants }, [undefined, undefined, io.x, io.transforms, io.y], grid(count, WG));
}
