// Shared esbuild settings: WGSL files are bundled as text; Dawn (npm `webgpu`) stays an
// external import that only the Node code path loads, and so does h5wasm (5.4 MiB, loaded
// only to write a .keras file), both installed with the package.
const common = {
  bundle: true,
  format: 'esm',
  loader: { '.wgsl': 'text' },
  logLevel: 'warning',
};

export const nodeOptions = {
  ...common,
  platform: 'node',
  target: 'node20',
  external: ['webgpu', 'h5wasm'],
  sourcemap: true,
};

// The browser bundle (library, demo page, browser tests): Node-only code paths (Dawn, file
// loading) import these lazily and never run in a browser.
export const browserOptions = {
  ...common,
  platform: 'browser',
  target: 'es2022',
  external: ['webgpu', 'node:*'],
};
