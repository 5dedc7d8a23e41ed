/**
 * The npm package ships the pretrained weights: every pretrained/*.safetensors and its README
 * are in `npm pack`'s file list (never a run's checkpoint), and a user reaches them through
 * the package's exports as `webgpu-dl/pretrained/FILE`.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm package', () => {
  it('holds pretrained/*.safetensors and pretrained/README.md, reachable as webgpu-dl/pretrained/FILE', async () => {
    const shipped = readdirSync('pretrained').filter((f) => f.endsWith('.safetensors'));
    expect(shipped.length).toBeGreaterThan(0);
    const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { timeout: 60_000 });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0].files.map((f) => f.path);
    const inFolder = files.filter((f) => f.startsWith('pretrained/')).sort();
    expect(inFolder).toEqual(['pretrained/README.md', ...shipped.map((f) => `pretrained/${f}`)].sort());
    const require = createRequire(import.meta.url);
    for (const file of shipped) expect(require.resolve(`webgpu-dl/pretrained/${file}`)).toBe(resolve('pretrained', file));
  });
});
