/**
 * Test-side HDF5 files in Keras' exact layouts, written straight through h5wasm's API (not
 * through the engine's writer) and read by the engine through jsfive: a second, independent
 * path. Also reads files back through h5wasm, to check what the engine writes.
 */
import h5wasm from 'h5wasm';

type Group = import('h5wasm').Group;
/** Strings stored as h5py stores Python bytes (tf.keras 2 writes its names so): fixed-length, NUL-padded to the longest. */
export class FixedStrings {
  constructor(readonly value: string | string[]) {}
}

type Attribute = string | string[] | FixedStrings;

/** A tree to write: a typed array is a dataset (with its shape), an object a group; `attrs` sets attributes. */
export interface Tree {
  attrs?: Record<string, Attribute>;
  [member: string]: Tree | { shape: number[]; data: Float32Array | Float64Array | Int32Array } | Record<string, Attribute> | undefined;
}

let count = 0;

export async function writeH5(tree: Tree): Promise<Uint8Array> {
  const { FS } = await h5wasm.ready;
  const path = `/test-${++count}.h5`;
  const file = new h5wasm.File(path, 'w');
  write(file, tree);
  file.close();
  const bytes = new Uint8Array(FS!.readFile(path));
  FS!.unlink(path);
  return bytes;
}

function write(group: Group, tree: Tree): void {
  for (const [name, value] of Object.entries(tree.attrs ?? {})) {
    // h5py writes an empty list attribute (an empty weight_names) as an empty float64 array.
    if (value instanceof FixedStrings) {
      const strings = Array.isArray(value.value) ? value.value : [value.value];
      const longest = Math.max(...strings.map((v) => new TextEncoder().encode(v).length));
      group.create_attribute(name, value.value, Array.isArray(value.value) ? [strings.length] : null, `A${longest}`);
    } else if (Array.isArray(value) && value.length === 0) group.create_attribute(name, new Float64Array(0), [0]);
    else group.create_attribute(name, value);
  }
  for (const [name, value] of Object.entries(tree)) {
    if (name === 'attrs' || value === undefined) continue;
    // A name with slashes (conv2d/conv2d/kernel:0) makes the groups on its way.
    const parts = name.split('/');
    let target = group;
    for (const part of parts.slice(0, -1)) target = (target.keys().includes(part) ? target.get(part) : target.create_group(part)) as Group;
    const last = parts.at(-1)!;
    if ('data' in value && ArrayBuffer.isView(value.data)) target.create_dataset({ name: last, data: value.data as Float32Array, shape: value.shape as number[] });
    else write(target.create_group(last), value as Tree);
  }
}

/** Opens HDF5 bytes with h5wasm; returns the file (close it) and a cleanup. */
export async function openWithH5wasm(bytes: Uint8Array): Promise<{ file: import('h5wasm').File; close(): void }> {
  const { FS } = await h5wasm.ready;
  const path = `/read-${++count}.h5`;
  FS!.writeFile(path, bytes);
  const file = new h5wasm.File(path, 'r');
  return {
    file,
    close() {
      file.close();
      FS!.unlink(path);
    },
  };
}

export { h5wasm };
