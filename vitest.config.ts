import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  plugins: [
    {
      // WGSL is imported as text, as esbuild's `text` loader does in the builds.
      name: 'wgsl-text',
      load(id) {
        if (id.endsWith('.wgsl')) return `export default ${JSON.stringify(readFileSync(id, 'utf8'))};`;
      },
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    // Dawn is a native addon: one process per test file, two at a time on two cores.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Kernel tuning caches its choices: never in the user's cache directory during tests.
    env: { WEBGPU_DL_CACHE_DIR: join(tmpdir(), `webgpu-dl-test-cache-${process.pid}`) },
  },
});
