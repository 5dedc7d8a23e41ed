/**
 * The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
 * header length, a JSON header mapping each tensor name to its dtype, shape and byte range,
 * then the raw little-endian data. Tensor names are Keras', e.g. `conv2d/kernel`. Written as
 * F32; read from F32, or from F16, BF16 (exactly) and F64 (rounded), which other tools write.
 */
import { elements } from '../data/shape.js';
import { typeName } from '../data/type-name.js';
import { halfToNumber } from './float16.js';

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'webgpu-dl', ...metadata } };
  let offset = 0;
  for (const t of tensors) {
    // The header is a JSON object: a second tensor of one name would silently replace the first.
    if (t.name === '__metadata__' || Object.hasOwn(header, t.name)) throw new Error(`safetensors: ${t.name === '__metadata__' ? 'a tensor cannot be named __metadata__' : `two tensors are named ${t.name}`}`);
    if (!(t.data instanceof Float32Array)) throw new Error(`safetensors: ${t.name} must hold a Float32Array, got ${typeName(t.data)}`);
    if (elements(t.shape) !== t.data.length) throw new Error(`safetensors: ${t.name} has ${t.data.length} values for shape [${t.shape}]`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  // The header is padded with spaces to a multiple of 8 bytes so the data stays aligned.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

export interface DecodedSafetensors {
  /** In the order of their data in the file. */
  tensors: NamedTensor[];
  metadata: Record<string, string>;
}

/** Bytes per element of the safetensors dtypes, to check every tensor's size, including those this engine cannot load. */
const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** The float dtypes read, as float32. */
const FLOAT_DTYPES = ['F32', 'F16', 'BF16', 'F64'];

/** Little-endian values of a float dtype as float32 in a new array: F16 and BF16 exactly, F64 rounded to nearest. */
function toFloat32(bytes: Uint8Array, dtype: string): Float32Array {
  // F32: a copy into a new, 4-byte aligned buffer (the hosts WebGPU runs on are little-endian).
  if (dtype === 'F32') return new Float32Array(new Uint8Array(bytes).buffer);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / DTYPE_BYTES[dtype]);
  if (dtype === 'F64') {
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  } else if (dtype === 'F16') {
    for (let i = 0; i < out.length; i++) out[i] = halfToNumber(view.getUint16(2 * i, true));
  } else {
    // BF16: the upper half of a float32's bits.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < out.length; i++) bits[i] = view.getUint16(2 * i, true) << 16;
  }
  return out;
}

/**
 * Parses a safetensors file, checking its header against its size: every tensor's byte range
 * inside the data and of the size its dtype and shape need. Float tensors are read as float32
 * (F16, BF16 and F64 converted); an integer or boolean one is an error naming the tensor.
 * `what` names the file in errors.
 */
export function decodeSafetensors(bytes: Uint8Array, what = 'safetensors'): DecodedSafetensors {
  const fail = (problem: string): never => {
    throw new Error(`${what}: not a valid safetensors file: ${problem}`);
  };
  if (!(bytes instanceof Uint8Array)) throw new Error(`${what}: expected the file's bytes as a Uint8Array, got ${typeName(bytes)}`);
  if (bytes.length < 8) fail(`${bytes.length} bytes is shorter than the 8-byte header length`);
  const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLength > bytes.length - 8) fail(`truncated: the header needs ${headerLength} bytes, the file has ${bytes.length - 8} after the length`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (err) {
    fail(`the header is not JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return fail('the header is not a JSON object');

  const data = bytes.subarray(8 + headerLength); // every tensor's data_offsets are relative to this
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; dtype: string; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      for (const [key, value] of Object.entries((info ?? {}) as Record<string, unknown>)) {
        if (typeof value !== 'string') fail(`__metadata__.${key} is not a string`);
        metadata[key] = value as string;
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (info ?? {}) as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of sizes`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
      fail(`tensor ${name}: data_offsets ${JSON.stringify(offsets)} is not a [begin, end] byte range`);
    }
    const [begin, end] = offsets as [number, number];
    const count = elements(shape as number[]);
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES)) fail(`tensor ${name}: unknown dtype ${JSON.stringify(dtype)}`);
    if (end - begin !== count * DTYPE_BYTES[dtype as string]) {
      fail(`tensor ${name}: ${end - begin} bytes for ${count} ${dtype} values of shape [${shape}]`);
    }
    if (end > data.length) fail(`truncated: tensor ${name} ends at byte ${end} of the data, which has ${data.length} bytes`);
    if (!FLOAT_DTYPES.includes(dtype as string)) throw new Error(`${what}: tensor ${name} has dtype ${dtype}; only float tensors (${FLOAT_DTYPES.join(', ')}) can be loaded`);
    entries.push({ name, shape: shape as number[], dtype: dtype as string, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin);
  // As the format requires, the tensors cover the data exactly: no holes, overlaps or trailing bytes.
  let covered = 0;
  for (const { name, begin, end } of entries) {
    if (begin !== covered) fail(`tensor ${name} starts at byte ${begin} of the data, expected ${covered}`);
    covered = end;
  }
  if (covered !== data.length) fail(`${data.length - covered} bytes after the last tensor`);
  const tensors = entries.map(({ name, shape, dtype, begin, end }) => ({ name, shape, data: toFloat32(data.subarray(begin, end), dtype) }));
  return { tensors, metadata };
}
