/**
 * A small PNG decoder for model inputs (https://www.w3.org/TR/png/): 8-bit grayscale, RGB,
 * grayscale + alpha and RGBA, not interlaced. Chunks are CRC-checked, the image data is
 * inflated with the platform's DecompressionStream (Node 18+ and browsers) and unfiltered
 * (filters None, Sub, Up, Average, Paeth). Palette, 16-bit, sub-byte and interlaced images
 * are refused with an error that says so.
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
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

export async function decodePng(bytes: Uint8Array, what = 'PNG'): Promise<DecodedImage> {
  const fail = (problem: string): never => {
    throw new Error(`${what}: ${problem}`);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) fail('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: { width: number; height: number; bitDepth: number; colorType: number; interlace: number } | undefined;
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
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
    }
    at += 12 + length;
  }
  if (!header) return fail('no IHDR chunk');
  const { width, height, bitDepth, colorType, interlace } = header;
  const channels = CHANNELS[colorType];
  if (channels === undefined) fail(`color type ${colorType} (${colorType === 3 ? 'palette' : 'unknown'}) is not supported: use 8-bit grayscale, RGB, or with alpha`);
  if (bitDepth !== 8) fail(`bit depth ${bitDepth} is not supported: only 8-bit images`);
  if (interlace !== 0) fail('interlaced images are not supported');
  if (width === 0 || height === 0) fail('the image is empty');

  const stride = width * channels;
  const raw = await inflate(idat, what); // height rows of [filter byte, stride bytes]
  if (raw.length !== height * (stride + 1)) fail(`the image data has ${raw.length} bytes, ${width}×${height} needs ${height * (stride + 1)}`);
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const up = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const left = i >= channels ? row[i - channels] : 0;
      const upLeft = i >= channels ? up[i - channels] : 0;
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
  return { width, height, channels, pixels };
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
