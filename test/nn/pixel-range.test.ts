/** Which pixel range a model takes: raw 0..255 only when it opens with a Rescaling of raw pixels. */
import { describe, expect, it } from 'vitest';
import { Sequential, layers, pixelRangeForModel, toPixelRange } from '../../src/index.js';

const conv = () => layers.conv2d({ filters: 2, kernelSize: 3 });
const firstConv = () => layers.conv2d({ filters: 2, kernelSize: 3, inputShape: [28, 28, 1] });

describe('pixelRangeForModel', () => {
  it.each([
    ['Rescaling(1/255) first: 255', [layers.rescaling({ scale: 1 / 255, inputShape: [28, 28, 1] }), conv()], 255],
    ['Rescaling(1/127.5, offset -1) first (0..255 onto [-1, 1]): 255', [layers.rescaling({ scale: 1 / 127.5, offset: -1, inputShape: [28, 28, 1] }), conv()], 255],
    ['a reshape, then Rescaling(1/255): 255', [layers.reshape({ targetShape: [28, 28, 1], inputShape: [784] }), layers.rescaling({ scale: 1 / 255 }), conv()], 255],
    ['Rescaling(2, offset -1) first ([0, 1] onto [-1, 1]): 1', [layers.rescaling({ scale: 2, offset: -1, inputShape: [28, 28, 1] }), conv()], 1],
    ['Rescaling(1/255) after a convolution: 1', [firstConv(), layers.rescaling({ scale: 1 / 255 })], 1],
    ['no Rescaling: 1', [firstConv()], 1],
  ] as const)('%s', (_, modelLayers, range) => {
    expect(pixelRangeForModel(new Sequential([...modelLayers]))).toBe(range);
  });

  it('toPixelRange scales [0, 1] pixels to 0..255 in place, and leaves them for 1', () => {
    const images = Float32Array.of(0, 128 / 255, 1);
    expect(Array.from(toPixelRange(images.slice(), 1))).toEqual(Array.from(images));
    const raw = toPixelRange(images, 255);
    expect(raw).toBe(images);
    expect(Array.from(raw, (v) => Math.round(v * 1e4) / 1e4)).toEqual([0, 128, 255]);
  });
});
