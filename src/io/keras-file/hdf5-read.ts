/**
 * Reading HDF5 files (Keras' weights files) through jsfive, a pure-JavaScript reader: 80 KiB
 * in a bundle against h5wasm's 5.4 MiB, and as fast on Keras' small files (the README says how
 * this was measured). Everything jsfive throws (it throws strings too) becomes an Error that
 * names the file and the object being read.
 */
import * as jsfive from 'jsfive';

/** A tensor read from a dataset, converted to float32 (float16 exactly, float64 rounded). */
export interface H5Tensor {
  shape: number[];
  data: Float32Array;
}

/** A group of an open HDF5 file; `path` is its full path, for messages. */
export class H5Group {
  constructor(
    private readonly handle: jsfive.Group,
    readonly source: string,
    readonly path: string,
  ) {}

  keys(): string[] {
    return this.read('its members', () => this.handle.keys);
  }

  has(name: string): boolean {
    return this.keys().includes(name);
  }

  /** The member group `name` (a path relative to this group); throws when it is missing or a dataset. */
  group(name: string): H5Group {
    const path = join(this.path, name);
    const entry = this.read(path, () => this.handle.get(name));
    if (!(entry instanceof jsfive.Group)) throw new Error(`${this.source}: ${path} is ${entry ? 'a dataset, not a group' : 'missing'}`);
    return new H5Group(entry, this.source, path);
  }

  /** The dataset `name` as float32; integer or other types are refused. */
  tensor(name: string): H5Tensor {
    const path = join(this.path, name);
    const entry = this.read(path, () => this.handle.get(name));
    if (!(entry instanceof jsfive.Dataset)) throw new Error(`${this.source}: ${path} is ${entry ? 'a group, not a dataset' : 'missing'}`);
    const dtype = this.read(`${path}'s type`, () => entry.dtype);
    if (typeof dtype !== 'string' || !FLOAT_TYPES.has(dtype.slice(1))) {
      throw new Error(`${this.source}: ${path} holds ${describeType(dtype)} values; weights must be float32 (float16 and float64 are converted)`);
    }
    const shape = this.read(`${path}'s shape`, () => entry.shape).map(Number);
    const values = this.read(path, () => entry.value);
    const data = Float32Array.from(values as ArrayLike<number>);
    const elements = shape.reduce((a, b) => a * b, 1);
    if (data.length !== elements) throw new Error(`${this.source}: ${path} has ${data.length} values for its shape [${shape}]`);
    return { shape, data };
  }

  /** A dataset holding one integer (Keras' optimizer iterations). */
  integer(name: string): number {
    const path = join(this.path, name);
    const entry = this.read(path, () => this.handle.get(name));
    if (!(entry instanceof jsfive.Dataset)) throw new Error(`${this.source}: ${path} is missing`);
    const values = this.read(path, () => entry.value) as ArrayLike<number | bigint>;
    const value = Number(values[0]);
    if (values.length !== 1 || !Number.isInteger(value) || value < 0) throw new Error(`${this.source}: ${path} should hold one count, got ${String(values[0])}`);
    return value;
  }

  /** A string attribute, or undefined when absent. */
  stringAttr(name: string): string | undefined {
    const value = this.attrs()[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw new Error(`${this.source}: attribute ${name} of ${this.path} is not a string`);
    return unpad(value);
  }

  /**
   * A list-of-strings attribute such as layer_names or weight_names; Keras splits long ones
   * into name0, name1, ... Undefined when absent; an empty numeric array (h5py's empty list) is [].
   */
  stringsAttr(name: string): string[] | undefined {
    const attrs = this.attrs();
    let value = attrs[name];
    if (value === undefined && attrs[`${name}0`] !== undefined) {
      value = [];
      for (let i = 0; attrs[`${name}${i}`] !== undefined; i++) value = (value as unknown[]).concat(attrs[`${name}${i}`] as unknown[]);
    }
    if (value === undefined) return undefined;
    if (typeof value === 'string') return [unpad(value)];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error(`${this.source}: attribute ${name} of ${this.path} is not a list of strings`);
    return (value as string[]).map(unpad);
  }

  private attrs(): Record<string, unknown> {
    return this.read(`the attributes of ${this.path}`, () => this.handle.attrs);
  }

  private read<T>(what: string, get: () => T): T {
    try {
      return get();
    } catch (err) {
      throw new Error(`${this.source}: cannot read ${what} (${err instanceof Error ? err.message : String(err)}): the HDF5 file is damaged or truncated`);
    }
  }
}

const FLOAT_TYPES = new Set(['f2', 'f4', 'f8']);

/** Opens HDF5 bytes; `source` names the file in errors. */
export function openHdf5(bytes: Uint8Array, source: string): H5Group {
  if (!isHdf5(bytes)) throw new Error(`${source}: not an HDF5 file (no HDF5 signature at its start)`);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  let file: jsfive.File;
  try {
    file = new jsfive.File(buffer, source);
  } catch (err) {
    throw new Error(`${source}: cannot read the HDF5 superblock (${err instanceof Error ? err.message : String(err)}): the file is damaged or truncated`);
  }
  return new H5Group(file, source, '/');
}

/** HDF5's 8-byte signature, at offset 0 (h5py and Keras write no user block). */
export function isHdf5(bytes: Uint8Array): boolean {
  const signature = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
  return bytes.length >= 8 && signature.every((b, i) => bytes[i] === b);
}

/**
 * tf.keras 2 stores names as bytes, which h5py writes as fixed-length strings padded with NULs
 * to the longest ('conv2d\0\0\0\0\0\0' beside 'dense_longer'); jsfive keeps the padding.
 */
function unpad(value: string): string {
  return value.replace(/\0+$/, '');
}

function join(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

function describeType(dtype: unknown): string {
  const names: Record<string, string> = { i1: 'int8', i2: 'int16', i4: 'int32', i8: 'int64', u1: 'uint8', u2: 'uint16', u4: 'uint32', u8: 'uint64' };
  if (typeof dtype === 'string') return names[dtype.slice(1)] ?? `'${dtype}'`;
  return 'non-numeric';
}
