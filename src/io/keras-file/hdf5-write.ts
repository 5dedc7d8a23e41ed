/**
 * Writing HDF5 files through h5wasm (the HDF5 C library compiled to WebAssembly; jsfive only
 * reads). h5wasm is 5.4 MiB of JavaScript and WebAssembly, so it is imported on first use:
 * reading never loads it. Files are built in h5wasm's in-memory file system and read back as bytes.
 */

/** A group: its string attributes, member groups and datasets, written in this order. */
export interface H5GroupSpec {
  attrs?: Record<string, string>;
  groups?: Record<string, H5GroupSpec>;
  datasets?: Record<string, H5DatasetSpec>;
}

/** A float32 tensor, or an int32 scalar (shape []). */
export type H5DatasetSpec = { shape: number[]; data: Float32Array } | { shape: []; data: Int32Array };

let files = 0;

/** The bytes of an HDF5 file holding `root`. */
export async function encodeHdf5(root: H5GroupSpec): Promise<Uint8Array> {
  const h5wasm = (await import('h5wasm')).default;
  const { FS } = await h5wasm.ready;
  const path = `/webgpu-dl-${++files}.h5`;
  const file = new h5wasm.File(path, 'w');
  try {
    writeGroup(file, root);
  } finally {
    file.close();
  }
  try {
    return new Uint8Array(FS.readFile(path));
  } finally {
    FS.unlink(path);
  }
}

type H5wasmGroup = import('h5wasm').Group;

function writeGroup(group: H5wasmGroup, spec: H5GroupSpec): void {
  for (const [name, value] of Object.entries(spec.attrs ?? {})) group.create_attribute(name, value);
  for (const [name, child] of Object.entries(spec.groups ?? {})) writeGroup(group.create_group(name), child);
  for (const [name, { shape, data }] of Object.entries(spec.datasets ?? {})) {
    group.create_dataset({ name, data, shape }); // the type follows the array: float32 or int32
  }
}
