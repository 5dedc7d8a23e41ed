#!/usr/bin/env node
// Builds the package with esbuild, WGSL inlined as text:
//   dist/index.js             the library for Node (ESM; Dawn, npm `webgpu`, stays an import)
//   dist/cli.js               the `webgpu-dl` command
//   dist/webgpu-dl.browser.js the same engine source for browsers (navigator.gpu), with
//                             dist/chunks/ (h5wasm, loaded when a .keras file is written)
// and the type declarations (dist/types) with tsc.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { browserOptions, nodeOptions } from './esbuild-options.mjs';

const quiet = process.argv.includes('--quiet');
rmSync('dist', { recursive: true, force: true });
await Promise.all([
  build({ ...nodeOptions, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' }),
  build({ ...nodeOptions, entryPoints: ['src/cli/bin.ts'], outfile: 'dist/cli.js' }),
  build({
    ...browserOptions,
    entryPoints: { 'webgpu-dl.browser': 'src/index.ts' },
    outdir: 'dist',
    sourcemap: true,
    // h5wasm (writing .keras files) goes to a chunk of its own, fetched only when a file is written.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
  }),
]);
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
if (!quiet) console.log('built dist/index.js, dist/cli.js, dist/webgpu-dl.browser.js, dist/types/');
