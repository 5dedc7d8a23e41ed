/**
 * IDX, the file format of MNIST (http://yann.lecun.com/exdb/mnist/):
 *
 *   bytes 0..3   magic: 0x00 0x00, element type (0x08 = unsigned byte), number of dimensions
 *   then         one big-endian u32 per dimension
 *   then         the elements, row-major, one byte each
 *
 * MNIST uses two kinds: images (magic 0x00000803, u8 [n, rows, cols]) and labels
 * (magic 0x00000801, u8 [n]). Only unsigned-byte files are read here.
 */
import { elements } from './shape.js';

export type IdxKind = 'images' | 'labels';

/** A parsed IDX file: its shape and its elements (a view into the input bytes, not a copy). */
export interface IdxArray {
  kind: IdxKind;
  shape: number[]; // images: [n, rows, cols]; labels: [n]
  data: Uint8Array; // product(shape) bytes
}

const MAGIC: Record<IdxKind, number> = { images: 0x00000803, labels: 0x00000801 };

const hex = (value: number) => `0x${value.toString(16).padStart(8, '0')}`;

/**
 * Parses an unsigned-byte IDX file. `what` names the file in error messages (a path or a
 * URL). With `expected`, the file must be of that kind. Checks the magic number, that every
 * dimension is positive, and that the byte length is exactly header + elements.
 */
export function parseIdx(bytes: Uint8Array, what: string, expected?: IdxKind): IdxArray {
  const invalid = (problem: string) => new Error(`${what}: not a valid IDX ${expected ?? 'images or labels'} file: ${problem}`);
  if (bytes.length < 4) throw invalid(`expected at least a 4-byte header, found ${bytes.length} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const kinds = expected ? [expected] : (Object.keys(MAGIC) as IdxKind[]);
  const kind = kinds.find((k) => MAGIC[k] === magic);
  if (!kind) {
    const wanted = kinds.map((k) => `${hex(MAGIC[k])} (${k})`).join(' or ');
    throw invalid(`expected magic ${wanted}, found ${hex(magic)}`);
  }
  const rank = magic & 0xff;
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw invalid(`expected a ${headerBytes}-byte header for ${rank} dimensions, found ${bytes.length} bytes`);
  const shape: number[] = [];
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    if (size === 0) throw invalid(`dimension ${d} is 0`);
    shape.push(size);
  }
  const expectedBytes = headerBytes + elements(shape);
  if (bytes.length !== expectedBytes) {
    const why = bytes.length < expectedBytes ? 'truncated' : 'trailing bytes';
    throw invalid(`${why}: shape [${shape.join(', ')}] needs ${expectedBytes} bytes, found ${bytes.length}`);
  }
  return { kind, shape, data: bytes.subarray(headerBytes, expectedBytes) };
}
