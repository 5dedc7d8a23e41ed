/**
 * The PNG decoder, against an independent encoder written here (node:zlib's deflate, every
 * filter type in turn) and against files ImageMagick wrote: decoded pixels equal the encoded
 * ones for every colour type, bit depth and interlacing; broken or invalid files are errors
 * that say why.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    await expect(decodePng(encodePng(4, 4, 1, pattern(16, 1), { bitDepth: 3 }))).rejects.toThrow(/bit depth 3 is not valid for grayscale images \(1, 2, 4, 8, 16\)/);
    await expect(decodePng(encodePng(4, 4, 3, pattern(48, 1), { bitDepth: 4 }))).rejects.toThrow(/bit depth 4 is not valid for RGB images \(8, 16\)/);
    await expect(decodePng(encodePng(4, 4, 1, pattern(16, 1), { interlace: 2 }))).rejects.toThrow(/unknown interlace method 2/);
    await expect(decodePng(encodePng(4, 4, 1, pattern(16, 1), { bitDepth: 16 }))).rejects.toThrow(/the image data has 20 bytes, 4×4 needs 36/);
    const palette = encodePng(4, 4, 1, pattern(16, 1));
    palette[8 + 8 + 9] = 3; // IHDR colour type → palette (and fix the CRC), with no PLTE chunk
    new DataView(palette.buffer).setUint32(8 + 8 + 13, crc32(palette.subarray(12, 29)));
    await expect(decodePng(palette)).rejects.toThrow(/a palette image without a valid PLTE chunk/);
  });
});

/**
 * Files written by another encoder, ImageMagick 6 (test/fixtures/png/make.sh): every colour type,
 * bit depths 1 to 16, palettes, tRNS transparency, Adam7 interlacing, at 27 × 25 pixels, and
 * two tiny interlaced ones (1 × 1, 3 × 2) whose Adam7 passes are partly empty. The
 * reference is ImageMagick's own decoding of each file to 16-bit RGBA (NAME.rgba).
 */
describe('PNG files written by ImageMagick', () => {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/png');
  const names = readdirSync(dir).filter((f) => f.endsWith('.png')).map((f) => f.slice(0, -4));
  /** Output channels by the file's name: palettes become RGB, tRNS adds alpha. */
  const channelsOf = (name: string) => (name.startsWith('gray-alpha') || name === 'gray-transparent' ? 2 : name.startsWith('gray') ? 1 : name.startsWith('rgba') || name === 'palette-transparent' ? 4 : 3);

  const sizeOf = (name: string) => (name.startsWith('tiny-1x1') ? [1, 1] : name.startsWith('tiny-3x2') ? [3, 2] : [27, 25]);

  it('has all 20 files', () => expect(names).toHaveLength(20));

  it.each(names)('%s decodes to the pixels ImageMagick decodes', async (name) => {
    const image = await decodePng(readFileSync(join(dir, `${name}.png`)), name);
    const [width, height] = sizeOf(name);
    expect([image.width, image.height, image.channels]).toEqual([width, height, channelsOf(name.replace(/^tiny-3x2/, 'rgb').replace(/^tiny-1x1/, 'gray'))]);
    const rgba = new Uint8Array(width * height * 4);
    const c = image.channels;
    for (let p = 0; p < width * height; p++) {
      const px = image.pixels.subarray(p * c, p * c + c);
      rgba.set(c >= 3 ? [px[0], px[1], px[2]] : [px[0], px[0], px[0]], p * 4);
      rgba[p * 4 + 3] = c === 2 || c === 4 ? px[c - 1] : 255;
    }
    // ImageMagick's 16-bit RGBA (big-endian), reduced to 8 bits as the decoder does: round(v / 257).
    const reference = readFileSync(join(dir, `${name}.rgba`));
    const expected = Uint8Array.from({ length: rgba.length }, (_, i) => Math.round(reference.readUInt16BE(2 * i) / 257));
    const wrong = rgba.findIndex((v, i) => v !== expected[i]);
    expect(wrong === -1 ? 'all equal' : `first difference at pixel ${Math.floor(wrong / 4)} channel ${wrong % 4}: ${rgba[wrong]} vs ${expected[wrong]}`).toBe('all equal');
  });
});
