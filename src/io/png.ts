/**
 * A PNG decoder for model inputs (https://www.w3.org/TR/png/): every colour type and bit depth
 * the format has (grayscale 1, 2, 4, 8, 16 bits; RGB 8, 16; palette 1, 2, 4, 8; grayscale +
 * alpha and RGBA 8, 16), transparency from a tRNS chunk, Adam7 interlacing. Chunks are
 * CRC-checked, the image data is inflated with the platform's DecompressionStream (Node 18+
 * and browsers) and unfiltered (filters None, Sub, Up, Average, Paeth). The result has 8 bits
 * per channel: 16-bit samples are rounded to v / 257, sub-byte gray is scaled to 0..255, a
 * palette becomes RGB, and transparency an alpha channel.
 */

export interface DecodedImage {
  width: number;
  height: number;
  /** 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA). */
  channels: number;
  /** (height, width, channels) bytes, row-major. */
  pixels: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/** Per colour type: its name, the samples each pixel stores, and the bit depths it allows. */
const COLOR_TYPES: Record<number, { name: string; samples: number; depths: number[] }> = {
  0: { name: 'grayscale', samples: 1, depths: [1, 2, 4, 8, 16] },
  2: { name: 'RGB', samples: 3, depths: [8, 16] },
  3: { name: 'palette', samples: 1, depths: [1, 2, 4, 8] },
  4: { name: 'grayscale + alpha', samples: 2, depths: [8, 16] },
  6: { name: 'RGBA', samples: 4, depths: [8, 16] },
};

/** Adam7's seven passes: the first pixel (x, y) of each and the steps between its pixels. */
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  interlace: number;
}

export async function decodePng(bytes: Uint8Array, what = 'PNG'): Promise<DecodedImage> {
  const fail = (problem: string): never => {
    throw new Error(`${what}: ${problem}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined; // [entries, 3] RGB
  let transparency: Uint8Array | undefined; // tRNS: palette alphas, or the one transparent gray / RGB (16-bit big-endian samples)
  const idat: Uint8Array[] = [];
  let at = 8;
  let ended = false;
  while (!ended) {
    if (at + 12 > bytes.length) fail('truncated (no IEND chunk)');
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) fail(`truncated in the ${type} chunk`);
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)) fail(`corrupt: the ${type} chunk's CRC does not match`);
    if (type === 'IHDR') {
      const h = new DataView(data.buffer, data.byteOffset, data.byteLength);
      header = { width: h.getUint32(0), height: h.getUint32(4), bitDepth: data[8], colorType: data[9], interlace: data[12] };
    } else if (type === 'PLTE') {
      palette = data;
    } else if (type === 'tRNS') {
      transparency = data;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
    }
    at += 12 + length;
  }
  if (!header) return fail('no IHDR chunk');
  const { width, height, bitDepth, colorType, interlace } = header;
  const color = COLOR_TYPES[colorType];
  if (color === undefined) fail(`unknown color type ${colorType}`);
  if (!color.depths.includes(bitDepth)) fail(`bit depth ${bitDepth} is not valid for ${color.name} images (${color.depths.join(', ')})`);
  if (interlace > 1) fail(`unknown interlace method ${interlace}`);
  if (width === 0 || height === 0) fail('the image is empty');
  if (colorType === 3 && (!palette || palette.length % 3 !== 0 || palette.length === 0)) fail('a palette image without a valid PLTE chunk');

  const passes = interlace === 1 ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const bitsPerPixel = color.samples * bitDepth;
  const sizes = passes.map(([x0, y0, dx, dy]) => [Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)]);
  const expected = sizes.reduce((sum, [w, h]) => sum + (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0), 0);
  const raw = await inflate(idat, what); // each pass's rows of [filter byte, row bytes]
  if (raw.length !== expected) fail(`the image data has ${raw.length} bytes, ${width}×${height} needs ${expected}`);

  const out = outputFormat(colorType, bitDepth, palette, transparency, fail);
  const pixels = new Uint8Array(width * height * out.channels); // (height, width, channels)
  let offset = 0;
  passes.forEach(([x0, y0, dx, dy], pass) => {
    const [w, h] = sizes[pass];
    if (w === 0 || h === 0) return;
    const rowBytes = Math.ceil((w * bitsPerPixel) / 8);
    const rows = unfilter(raw.subarray(offset, offset + h * (rowBytes + 1)), rowBytes, Math.max(1, bitsPerPixel >> 3), fail);
    offset += h * (rowBytes + 1);
    for (let y = 0; y < h; y++) {
      const row = rows.subarray(y * rowBytes, (y + 1) * rowBytes);
      for (let x = 0; x < w; x++) out.write(row, x, pixels, ((y0 + y * dy) * width + x0 + x * dx) * out.channels);
    }
  });
  return { width, height, channels: out.channels, pixels };
}

/** Reverses the filters of `h` rows of [filter byte, rowBytes bytes]; returns the h × rowBytes bytes. */
function unfilter(raw: Uint8Array, rowBytes: number, bytesPerPixel: number, fail: (problem: string) => never): Uint8Array {
  const h = raw.length / (rowBytes + 1);
  const rows = new Uint8Array(h * rowBytes);
  const zeros = new Uint8Array(rowBytes);
  for (let y = 0; y < h; y++) {
    const filter = raw[y * (rowBytes + 1)];
    const line = raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1));
    const row = rows.subarray(y * rowBytes, (y + 1) * rowBytes);
    const up = y > 0 ? rows.subarray((y - 1) * rowBytes, y * rowBytes) : zeros;
    for (let i = 0; i < rowBytes; i++) {
      const left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
      const upLeft = i >= bytesPerPixel ? up[i - bytesPerPixel] : 0;
      let predictor: number;
      switch (filter) {
        case 0: predictor = 0; break;
        case 1: predictor = left; break;
        case 2: predictor = up[i]; break;
        case 3: predictor = (left + up[i]) >> 1; break;
        case 4: predictor = paeth(left, up[i], upLeft); break;
        default: return fail(`row ${y} has unknown filter type ${filter}`);
      }
      row[i] = (line[i] + predictor) & 0xff;
    }
  }
  return rows;
}

/**
 * How one stored pixel becomes 8-bit output channels: `write(row, x, pixels, at)` reads pixel x
 * of an unfiltered row and writes its `channels` bytes at pixels[at].
 */
function outputFormat(colorType: number, bitDepth: number, palette: Uint8Array | undefined, transparency: Uint8Array | undefined, fail: (problem: string) => never) {
  const samples = COLOR_TYPES[colorType].samples;
  const max = 2 ** bitDepth - 1;
  /** Sample `i` of the row (pixel x's channel c is i = x * samples + c), at its stored depth. */
  const sample = (row: Uint8Array, i: number): number => {
    if (bitDepth === 8) return row[i];
    if (bitDepth === 16) return (row[2 * i] << 8) | row[2 * i + 1];
    const bit = i * bitDepth;
    return (row[bit >> 3] >> (8 - bitDepth - (bit & 7))) & max;
  };
  const to8 = (v: number): number => (bitDepth === 16 ? Math.round(v / 257) : bitDepth === 8 ? v : (v * 255) / max);
  if (colorType === 3) {
    const entries = palette!.length / 3;
    const alphas = transparency;
    return {
      channels: alphas ? 4 : 3,
      write(row: Uint8Array, x: number, pixels: Uint8Array, at: number) {
        const index = sample(row, x);
        if (index >= entries) fail(`a pixel uses palette entry ${index}, the palette has ${entries}`);
        pixels.set(palette!.subarray(index * 3, index * 3 + 3), at);
        if (alphas) pixels[at + 3] = index < alphas.length ? alphas[index] : 255;
      },
    };
  }
  // Grayscale or RGB with a tRNS chunk: the one sample value (or triple) that is transparent.
  const key = transparency && (colorType === 0 || colorType === 2) ? Array.from({ length: samples }, (_, c) => (transparency[2 * c] << 8) | transparency[2 * c + 1]) : undefined;
  return {
    channels: samples + (key ? 1 : 0),
    write(row: Uint8Array, x: number, pixels: Uint8Array, at: number) {
      let transparent = key !== undefined;
      for (let c = 0; c < samples; c++) {
        const v = sample(row, x * samples + c);
        pixels[at + c] = to8(v);
        if (key && v !== key[c]) transparent = false;
      }
      if (key) pixels[at + samples] = transparent ? 0 : 255;
    },
  };
}

/**
 * The image as one model input of shape [height, width, channels] (channels 1 or 3), values
 * in [0, 1] (pixel / 255, as MNIST is scaled). RGB becomes gray by Rec. 601 luma; alpha is
 * ignored. The image must already have the model's height and width.
 */
export function imageToInput(image: DecodedImage, inputShape: readonly number[], what = 'image'): Float32Array {
  if (!Array.isArray(inputShape)) throw new Error(`${what}: imageToInput needs the model's input shape [height, width, channels] (model.inputShape), got ${inputShape}`);
  if (typeof image !== 'object' || image === null || !(image.pixels instanceof Uint8Array)) throw new Error(`${what}: imageToInput needs an image from decodePng ({ width, height, channels, pixels }), got ${image}`);
  const [height, width, channels] = inputShape;
  if (inputShape.length !== 3 || (channels !== 1 && channels !== 3)) throw new Error(`${what}: the model's input [${inputShape}] is not an image of 1 or 3 channels`);
  if (image.width !== width || image.height !== height) throw new Error(`${what}: the image is ${image.width}×${image.height}, the model needs ${width}×${height}`);
  const out = new Float32Array(height * width * channels); // (height, width, channels)
  const c = image.channels;
  for (let p = 0; p < height * width; p++) {
    const px = image.pixels.subarray(p * c, p * c + c);
    const rgb = c >= 3 ? [px[0], px[1], px[2]] : [px[0], px[0], px[0]];
    if (channels === 3) for (let k = 0; k < 3; k++) out[p * 3 + k] = rgb[k] / 255;
    else out[p] = (c >= 3 ? 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] : px[0]) / 255;
  }
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

async function inflate(parts: Uint8Array[], what: string): Promise<Uint8Array> {
  try {
    const stream = new Blob(parts as Uint8Array<ArrayBuffer>[]).stream().pipeThrough(new DecompressionStream('deflate'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (err) {
    throw new Error(`${what}: corrupt image data (${(err as Error).message})`);
  }
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309), as PNG chunks carry it. */
function crc32(bytes: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = crcTable[(crc ^ b) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
