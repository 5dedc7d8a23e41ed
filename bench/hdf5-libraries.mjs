#!/usr/bin/env node
// How the HDF5 reader was chosen (README, Keras files): bundle size of jsfive and h5wasm (esbuild,
// minified, browser) and the time each takes to read every dataset of the Keras-made fixtures,
// side by side in one process.   node bench/hdf5-libraries.mjs
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { unzipSync } from 'fflate';
const dir = 'test/fixtures/keras-files/';
const files = {
  'model.weights.h5 (conv-adam.keras)': unzipSync(readFileSync(dir + 'conv-adam.keras'))['model.weights.h5'],
  'conv-bn.h5': new Uint8Array(readFileSync(dir + 'conv-bn.h5')),
  'dense.weights.h5': new Uint8Array(readFileSync(dir + 'dense.weights.h5')),
};
for (const [name, src] of [['jsfive', "import * as h from 'jsfive'; console.log(h.File)"], ['h5wasm', "import h from 'h5wasm'; console.log(h.File)"], ['fflate (unzipSync+zipSync)', "import {unzipSync, zipSync} from 'fflate'; console.log(unzipSync, zipSync)"]]) {
  const r = await build({ stdin: { contents: src, resolveDir: process.cwd() }, bundle: true, minify: true, write: false, platform: 'browser', format: 'esm', external: ['node:*', 'module', 'fs', 'path', 'url', 'crypto'] , logLevel: 'error'});
  const bytes = r.outputFiles[0].contents;
  const { gzipSync } = await import('node:zlib');
  console.log(`${name}: bundle ${(bytes.length / 1024).toFixed(0)} KiB minified, ${(gzipSync(bytes).length / 1024).toFixed(0)} KiB gzipped`);
}
function walkJsfive(g, out) { for (const k of g.keys) { const e = g.get(k); if (e instanceof jsfive.Group) walkJsfive(e, out); else out.push(e.value.length); } return out; }
function walkH5(g, out) { for (const k of g.keys()) { const e = g.get(k); if (e instanceof h5wasm.Group) walkH5(e, out); else out.push(e.value.length ?? 1); } return out; }
// Start-up: importing each library (h5wasm also compiles and instantiates its WebAssembly).
let started = performance.now();
const jsfive = await import('jsfive');
console.log(`jsfive: imported in ${(performance.now() - started).toFixed(0)} ms`);
started = performance.now();
const h5wasm = (await import('h5wasm')).default;
const { FS } = await h5wasm.ready;
console.log(`h5wasm: imported and ready in ${(performance.now() - started).toFixed(0)} ms`);
for (const [name, bytes] of Object.entries(files)) {
  const reps = 20;
  let a = performance.now(); let n1;
  for (let i = 0; i < reps; i++) n1 = walkJsfive(new jsfive.File(bytes.slice().buffer, name), []);
  const tj = (performance.now() - a) / reps;
  a = performance.now(); let n2;
  for (let i = 0; i < reps; i++) { FS.writeFile('/m.h5', bytes); const f = new h5wasm.File('/m.h5', 'r'); n2 = walkH5(f, []); f.close(); FS.unlink('/m.h5'); }
  const th = (performance.now() - a) / reps;
  console.log(`${name} (${(bytes.length/1024).toFixed(0)} KiB, ${n1.length} datasets): jsfive ${tj.toFixed(2)} ms, h5wasm ${th.toFixed(2)} ms per whole read (mean of ${reps}); same sizes: ${JSON.stringify(n1) === JSON.stringify(n2)}`);
}
