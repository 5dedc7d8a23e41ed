/**
 * Random contrast and brightness of NHWC images (Keras' RandomContrast and RandomBrightness at
 * training time, shaders/color-adjust.wgsl): each sample draws one factor from a counter-based
 * hash of (step, seed, layer seed, sample), so nothing random is stored between steps.
 *   contrast:   y = clip((x − mean) · f + mean, min, max), mean over the sample's image per channel
 *   brightness: y = clip(x + f, min, max)
 */
import colorCode from '../../shaders/color-adjust.wgsl';
import randomCode from '../../shaders/random.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { ImageShape } from './affine-transform.js';

const WG = 64;
/** The kernel with the random bits it draws (shaders/random.wgsl). */
const code = `${colorCode}\n${randomCode}`;

/**
 * What a layer does with its draw f, uniform in factor = [low, high): contrast scales each pixel's
 * distance from its channel's mean by f, brightness adds f; both clip to range = [min, max].
 */
export interface ColorAdjustment {
  kind: 'contrast' | 'brightness';
  factor: [number, number];
  range: [number, number];
}

/**
 * The dispatches of one adjustment: (for contrast) the channel means, then the adjusted images.
 * x, y: (batch, height, width, channels); means: (batch, channels), contrast only; stepInfo:
 * (4) u32 = [step, seed, 0, 0]; `layerSeed` (a u32) keeps the layers' draws apart.
 */
export async function colorAdjust(
  device: Device,
  shape: ImageShape,
  adjustment: ColorAdjustment,
  layerSeed: number,
  io: { stepInfo: Binding; x: Binding; means?: Binding; y: Binding },
): Promise<Dispatch[]> {
  const contrast = adjustment.kind === 'contrast';
  if (contrast && !io.means) throw new Error('color adjust: contrast needs a buffer for the channel means');
  const pixels = shape.height * shape.width;
  const constants = {
    WG,
    KIND: contrast ? 0 : 1,
    N: shape.batch,
    PIXELS: pixels,
    C: shape.channels,
    LOW: adjustment.factor[0],
    HIGH: adjustment.factor[1],
    MIN_VALUE: adjustment.range[0],
    MAX_VALUE: adjustment.range[1],
    LAYER_SEED: layerSeed >>> 0,
  };
  const means = contrast
    ? [await createDispatch(device, { label: 'random contrast: channel means', code, entryPoint: 'channelMeans', constants }, [undefined, io.x, io.means], grid(shape.batch * shape.channels, WG))]
    : [];
  // Brightness never reads the means; x, read-only too, stands in at their binding.
  const adjust = await createDispatch(
    device,
    { label: `random ${adjustment.kind}`, code, entryPoint: 'adjust', constants },
    [io.stepInfo, io.x, io.means ?? io.x, io.y],
    grid(shape.batch * pixels * shape.channels, WG),
  );
  return [...means, adjust];
}
