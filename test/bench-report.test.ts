/**
 * The bench report's tuned-kernel parts (bench/report-candidates.ts, bench/report.ts) from a
 * fixed results object: every expected cell below is written from the input's figures.
 */
import { describe, expect, it } from 'vitest';
import { candidateChart, candidateTable, candidateTables, TUNED_FAMILIES } from '../bench/report-candidates.js';
import { markdownReport, readmeSection, summaryText } from '../bench/report.js';
import type { BenchResults, KernelResult } from '../bench/results-types.js';

const row = (family: string, shape: string, use: string, extra: Partial<KernelResult>): KernelResult => ({
  name: family, shape, ms: 1, engine: 'webgpu-dl', family, uses: [use], reps: 3, ...extra,
});

const results: BenchResults = {
  adapter: 'Test adapter',
  version: '0.1.0',
  bestMatmulGflops: 2.5,
  kernels: [
    row('matmul', '256×256×256', 'square', { gflops: 2.5, picked: 'quads', candidates: { quads: 2.5, rows8: 1.25, vec4: 2 } }),
    row('conv forward', '128×26×26×32→64 k3×3 valid', 'mnist-cnn conv2d_1 forward', { gflops: 4, picked: 'winograd', candidates: { im2col: 2, winograd: 4 } }),
    row('conv input gradient', '128×26×26×32→64 k3×3 valid', 'mnist-cnn conv2d_1 dX', { gflops: 2, picked: 'im2col', candidates: { im2col: 2, winograd: 2.5 } }),
    row('im2col', '100×28×28×1→78400×4', 'mnist-conv3 conv2d forward', { gbps: 0.8, picked: 'fours', candidates: { chunks: 0.5, fours: 0.8 } }),
    row('max pool backward', '100×14×14×16→100×28×28×16', 'mnist-conv3 max_pooling2d backward', { gbps: 3, picked: 'scatter', candidates: { gather: 1, scatter: 3 } }),
    // Untuned rows and the peer's rows stay out of the candidate tables.
    row('col2im', '78400×4→100×28×28×1', 'mnist-conv3 conv2d_1 backward', { gbps: 1 }),
    { ...row('matmul', '256×256×256', 'square', { gflops: 0.1 }), engine: 'tfjs-webgpu' },
  ],
  training: [],
  date: '2026-11-28',
  command: 'npm run bench',
  clock: 'gpu-timestamps',
  ratios: { training: [], matmul: [] },
  breakdown: [],
  goals: [],
  notes: [],
  seconds: 60,
};

const family = (name: string) => TUNED_FAMILIES.find((f) => f.name === name)!;

describe('bench report: tuned kernels', () => {
  it('one table per tuned family, in the matmul table\'s form: every candidate, the pick starred, picked ÷ fastest', () => {
    expect(candidateTable(results, family('matmul'))).toEqual({
      header: ['matmul', 'shape', 'quads', 'rows8', 'vec4', 'picked', 'picked ÷ fastest', 'used by'],
      rows: [['matmul', '256×256×256', '2.50*', '1.25', '2.00', 'quads', '100.0%', 'square']],
      align: ['l', 'l', 'r', 'r', 'r', 'l', 'r', 'l'],
    });
    expect(candidateTable(results, family('conv')).rows).toEqual([
      ['conv forward', '128×26×26×32→64 k3×3 valid', '2.00', '4.00*', 'winograd', '100.0%', 'mnist-cnn conv2d_1 forward'],
      // The tuner kept im2col where Winograd measured 2.5 here: 2 / 2.5 = 80%.
      ['conv input gradient', '128×26×26×32→64 k3×3 valid', '2.00*', '2.50', 'im2col', '80.0%', 'mnist-cnn conv2d_1 dX'],
    ]);
    expect(candidateTable(results, family('im2col')).rows).toEqual([['im2col', '100×28×28×1→78400×4', '0.500', '0.800*', 'fours', '100.0%', 'mnist-conv3 conv2d forward']]);
    expect(candidateTable(results, family('max pool backward')).rows).toEqual([
      ['max pool backward', '100×14×14×16→100×28×28×16', '1.00', '3.00*', 'scatter', '100.0%', 'mnist-conv3 max_pooling2d backward'],
    ]);
    expect(candidateTables(results).map((t) => t.family.name)).toEqual(['matmul', 'conv', 'im2col', 'max pool backward']);
  });

  it('the text and markdown reports carry every family\'s table with its unit', () => {
    const text = summaryText(results);
    for (const title of ['Matmul candidates (GFLOP/s', 'Conv algorithm candidates (GFLOP/s', 'im2col candidates (GB/s', 'Max pool backward candidates (GB/s']) expect(text).toContain(title);
    expect(text).toMatch(/conv input gradient\s+128×26×26×32→64 k3×3 valid\s+2\.00\*\s+2\.50\s+im2col\s+80\.0%/);
    const markdown = markdownReport(results, 'ratios.svg', 'candidates.svg');
    expect(markdown).toContain('![candidates](candidates.svg)');
    expect(markdown).toContain('| max pool backward | 100×14×14×16→100×28×28×16 | 1.00 | 3.00* | scatter | 100.0% | mnist-conv3 max_pooling2d backward |');
    expect(markdown).toContain('| im2col | 100×28×28×1→78400×4 | 0.500 | 0.800* | fours | 100.0% | mnist-conv3 conv2d forward |');
  });

  it('the README section shows the chart and the small families\' tables, the matmul\'s only in the report', () => {
    const readme = readmeSection(results, 'report.md', 'ratios.svg', 'candidates.svg');
    expect(readme).toContain('](candidates.svg)');
    expect(readme).toContain('| conv forward | 128×26×26×32→64 k3×3 valid | 2.00 | 4.00* | winograd | 100.0% | mnist-cnn conv2d_1 forward |');
    expect(readme).toContain('| im2col | 100×28×28×1→78400×4 | 0.500 | 0.800* | fours |');
    expect(readme).not.toContain('| matmul | 256×256×256 |');
  });

  it('the chart has one bar per candidate, the pick dark, each labelled with its rate and unit', () => {
    const svg = candidateChart(results);
    expect(svg.match(/<rect x="330"/g)).toHaveLength(3 + 2 + 2 + 2 + 2);
    expect(svg.match(/fill="#1f4e96"/g)).toHaveLength(5);
    for (const label of ['2.50 GFLOP/s', '4.00 GFLOP/s', '0.800 GB/s', '3.00 GB/s']) expect(svg).toContain(`>${label}</text>`);
    // Each family has its own scale: the largest bar of each spans the same width.
    const width = (rate: string) => Number(new RegExp(`width="([\\d.]+)"[^>]*/>\\n<text[^>]*>${rate}<`).exec(svg)![1]);
    expect(width('2.50 GFLOP/s')).toBeCloseTo(width('3.00 GB/s'), 6);
  });
});
