// Shared esbuild settings: WGSL files are bundled as text; Dawn (npm `webgpu`) stays an
// external import that only the Node code path loads.
export const nodeOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  loader: { '.wgsl': 'text' },
  external: ['webgpu'],
  sourcemap: true,
  logLevel: 'warning',
};
