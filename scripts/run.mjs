#!/usr/bin/env node
// Runs a TypeScript entry point (bench, CLI during development): bundles it with esbuild
// into node_modules/.cache/webgpu-dl/ and imports it with the remaining arguments.
//   node scripts/run.mjs bench/index.ts --quick
import { build } from 'esbuild';
import { mkdirSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeOptions } from './esbuild-options.mjs';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run.mjs FILE.ts [args...]');
  process.exit(2);
}
const outdir = resolve('node_modules/.cache/webgpu-dl');
mkdirSync(outdir, { recursive: true });
const outfile = `${outdir}/${basename(entry).replace(/\.ts$/, '')}.mjs`;
// esbuild and playwright-core (bench/node-vs-chromium.ts) stay imports from node_modules: they
// load native binaries and files beside their own code.
await build({ ...nodeOptions, external: [...nodeOptions.external, 'esbuild', 'playwright-core'], entryPoints: [entry], outfile });
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);
