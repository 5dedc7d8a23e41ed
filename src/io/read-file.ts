/** Node only: a file's bytes, with an error that names the path. node:fs is imported on use, so importers also bundle for the browser. */
export async function readBytes(path: string): Promise<Uint8Array> {
  const { readFile } = await import('node:fs/promises');
  try {
    return new Uint8Array(await readFile(path));
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}
