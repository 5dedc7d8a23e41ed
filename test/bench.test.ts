/**
 * Smoke test of the bench harness: `npm run bench -- --quick --json` as a child process (the
 * bench ends its process when done), then the JSON's shape, and that every figure in it is a
 * finite positive number.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

interface Row {
  [key: string]: unknown;
}

/** Every number anywhere in the value, with its path. */
function numbers(value: unknown, path = '$'): [string, number][] {
  if (typeof value === 'number') return [[path, value]];
  if (Array.isArray(value)) return value.flatMap((v, i) => numbers(v, `${path}[${i}]`));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => numbers(v, `${path}.${k}`));
  return [];
}

describe('bench --quick', () => {
  it('prints one JSON object of the documented shape, every figure finite and positive', async () => {
    const { stdout } = await run('node', ['scripts/run.mjs', 'bench/index.ts', '--quick', '--json', '--no-save'], {
      timeout: 280_000,
      maxBuffer: 64 << 20,
    });
    const result = JSON.parse(stdout) as {
      adapter: string;
      version: string;
      kernels: Row[];
      training: Row[];
      bestMatmulGflops: number;
    };

    expect(typeof result.adapter).toBe('string');
    expect(result.adapter.length).toBeGreaterThan(0);
    expect(result.version).toMatch(/^\d+\.\d+\.\d+/);

    expect(result.kernels.length).toBeGreaterThan(0);
    for (const k of result.kernels) {
      expect(typeof k.name).toBe('string');
      expect(typeof k.shape).toBe('string');
      expect(typeof k.ms).toBe('number');
      expect(k.gflops !== undefined || k.gbps !== undefined).toBe(true);
    }
    const families = new Set(result.kernels.map((k) => k.family));
    for (const family of ['matmul', 'im2col', 'col2im', 'max pool forward', 'max pool backward', 'softmax cross-entropy', 'optimizer']) {
      expect(families).toContain(family);
    }
    // The peer ran the same matmul shapes.
    expect(result.kernels.some((k) => k.engine === 'tfjs-webgpu' && k.family === 'matmul')).toBe(true);

    expect(result.training.map((t) => t.engine).sort()).toEqual(['tfjs-webgpu', 'webgpu-dl']);
    for (const t of result.training) {
      expect(t.preset).toBe('mnist-conv3');
      expect(t.batchSize).toBe(8);
      expect(typeof t.samplesPerSec).toBe('number');
      expect(typeof t.stepGflops).toBe('number');
    }
    expect(typeof result.bestMatmulGflops).toBe('number');
    // Every square matmul shows every candidate's rate and the tuner's pick, one of them.
    const squares = result.kernels.filter((k) => k.engine === 'webgpu-dl' && k.name === 'matmul' && (k.uses as string[]).includes('square'));
    expect(squares.length).toBeGreaterThan(0);
    for (const k of squares) {
      const candidates = Object.keys((k.candidates ?? {}) as Record<string, number>);
      expect(candidates).toEqual(expect.arrayContaining(['rows8', 'rows4', 'tiled']));
      expect(candidates).toContain(k.picked);
    }

    const figures = numbers({ kernels: result.kernels, training: result.training, bestMatmulGflops: result.bestMatmulGflops })
      // compiledWhileTimed counts pipelines: 0 is its good value.
      .filter(([path]) => !path.endsWith('.compiledWhileTimed'));
    expect(figures.length).toBeGreaterThan(10);
    for (const [path, value] of figures) {
      expect(Number.isFinite(value) && value > 0, `${path} = ${value}`).toBe(true);
    }
  }, 300_000);
});
