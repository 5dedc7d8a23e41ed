// Shared esbuild settings: WGSL files are bundled as text; Dawn (npm `webgpu`) stays an
// external import that only the Node code path loads, and so does h5wasm (5.4 MiB, loaded
// only to write a .keras file), both installed with the package.
export const nodeOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  loader: { '.wgsl': 'text' },
  external: ['webgpu', 'h5wasm'],
  sourcemap: true,
  logLevel: 'warning',
};

// The browser bundle (library, demo page, browser tests): Node-only code paths (Dawn, file
// loading) import these lazily and never run in a browser.
export const browserOptions = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  loader: { '.wgsl': 'text' },
  external: ['webgpu', 'node:*'],
  logLevel: 'warning',
};
