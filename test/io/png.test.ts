/**
 * The PNG decoder, against an independent encoder written here (node:zlib's deflate, every
 * filter type in turn): decoded pixels equal the encoded ones for each colour type; broken or
 * unsupported files are errors that say why.
 */
import { describe, expect, it } from 'vitest';
import { decodePng, imageToInput } from '../../src/io/png.js';
import { crc32, encodePng } from './png-encoder.js';

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed * 11 + ((i * i) >> 3)) & 0xff);
}

describe('PNG decoding', () => {
  for (const channels of [1, 2, 3, 4]) {
    it(`decodes ${['gray', 'gray + alpha', 'RGB', 'RGBA'][channels - 1]} with every filter type`, async () => {
      const [width, height] = [7, 11];
      const pixels = pattern(width * height * channels, channels);
      const image = await decodePng(encodePng(width, height, channels, pixels));
      expect(image).toEqual({ width, height, channels, pixels });
    });
  }

  it('turns an image into a model input: pixel / 255, RGB to gray by luma', async () => {
    const rgb = Uint8Array.of(255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30);
    const image = await decodePng(encodePng(2, 2, 3, rgb));
    const gray = imageToInput(image, [2, 2, 1]);
    const expected = [0.299 * 255, 0.587 * 255, 0.114 * 255, 0.299 * 10 + 0.587 * 20 + 0.114 * 30].map((v) => v / 255);
    gray.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    expect(Array.from(imageToInput(image, [2, 2, 3]))).toEqual(Array.from(Float32Array.from(rgb, (v) => v / 255)));
    expect(() => imageToInput(image, [28, 28, 1], 'digit.png')).toThrow(/digit.png: the image is 2×2, the model needs 28×28/);
  });

  it('refuses broken and unsupported files with errors that say why', async () => {
    const good = encodePng(4, 4, 1, pattern(16, 1));
    await expect(decodePng(new TextEncoder().encode('GIF89a....'), 'a.gif')).rejects.toThrow(/a.gif: not a PNG file/);
    await expect(decodePng(good.subarray(0, good.length - 20))).rejects.toThrow(/truncated/);
    const corrupt = good.slice();
    corrupt[33 + 8 + 2] ^= 0xff; // inside the IDAT data (signature 8 + IHDR chunk 25, then length and type)
    await expect(decodePng(corrupt)).rejects.toThrow(/corrupt: the IDAT chunk's CRC does not match/);
    await expect(decodePng(encodePng(4, 4, 1, pattern(16, 1), { bitDepth: 16 }))).rejects.toThrow(/bit depth 16 is not supported/);
    await expect(decodePng(encodePng(4, 4, 1, pattern(16, 1), { interlace: 1 }))).rejects.toThrow(/interlaced images are not supported/);
    const palette = encodePng(4, 4, 1, pattern(16, 1));
    palette[8 + 8 + 9] = 3; // IHDR colour type → palette (and fix the CRC)
    new DataView(palette.buffer).setUint32(8 + 8 + 13, crc32(palette.subarray(12, 29)));
    await expect(decodePng(palette)).rejects.toThrow(/color type 3 \(palette\) is not supported/);
  });
});
