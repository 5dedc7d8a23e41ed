/**
 * The bench's report of the tuned kernels: for each tuned family, every candidate's rate on
 * each shape beside the tuner's pick, as a table (text and markdown, one per family) and as
 * one SVG chart of bars, the pick dark. The rows are the engine's kernel results that carry
 * `candidates` (bench/candidates.ts fills them).
 */
import type { BenchResults, KernelResult } from './results-types.js';
import { escapeSvg, fmt, pct, usesText, type Align, type Table } from './report-table.js';

export interface TunedFamily {
  /** The table's first column and the chart's group. */
  name: string;
  title: string;
  /** The kernel results' families it covers. */
  families: readonly string[];
  /** Of every rate: GFLOP/s where FLOPs are defined, else GB/s (each input read once, each output written once). */
  unit: 'GFLOP/s' | 'GB/s';
  /** What the candidates are, for the markdown report. */
  about: string;
}

export const TUNED_FAMILIES: readonly TunedFamily[] = [
  {
    name: 'matmul',
    title: 'Matmul candidates',
    families: ['matmul'],
    unit: 'GFLOP/s',
    about:
      "every matmul kernel (src/kernels/matmul.ts) on each shape, timed like the kernel rows; the tuner timed each candidate on a proxy of at most 2^25 FLOPs and 2^20 elements (warm-up, then interleaved rounds filling 30 ms, up to 6 more while the leaders' times overlap; a candidate's time is the minimum of its rounds, and the default is kept while within 10% of the fastest), so its pick can differ from the fastest full-size figure here.",
  },
  {
    name: 'conv',
    title: 'Conv algorithm candidates',
    families: ['conv forward', 'conv input gradient', 'conv weight gradient'],
    unit: 'GFLOP/s',
    about:
      "each 3×3 stride-1 conv layer's forward and input gradient by Winograd F(2×2, 3×3), and its weight gradient by Winograd F(3×3, 2×2) (after each forward algorithm: the input side, col or V, is the forward's when they match, computed when not), against im2col + matmul (src/kernels/conv-algorithm.ts), the whole chain with the tuner's kernels for its inner shapes; nominal GFLOP/s (the im2col form's 2·rows·KH·KW·C·COUT), so Winograd's is an effective rate. The tuner timed both chains at up to 2^26 FLOPs (fewer images).",
  },
  {
    name: 'im2col',
    title: 'im2col candidates',
    families: ['im2col'],
    unit: 'GB/s',
    about: "im2col's 'chunks' (a chunk of channels per invocation) and 'fours' (four values of a row of col per invocation) forms (src/kernels/im2col.ts), on the shapes where both apply.",
  },
  {
    name: 'max pool backward',
    title: 'Max pool backward candidates',
    families: ['max pool backward'],
    unit: 'GB/s',
    about: "max pool backward's 'gather' (one invocation per dX element) and 'scatter' (one per output, from the saved argmax) kernels (src/kernels/pool.ts), on the shapes where both apply (windows that do not overlap).",
  },
];

/** The family's rows: the engine's results with candidates. */
function tunedRows(results: Pick<BenchResults, 'kernels'>, family: TunedFamily): KernelResult[] {
  return results.kernels.filter((k) => k.engine === 'webgpu-dl' && family.families.includes(k.family) && k.candidates && Object.keys(k.candidates).length);
}

/**
 * One family's candidates: the rate of every candidate per shape, the tuner's pick marked `*`,
 * and "picked ÷ fastest" (how close the pick comes to the fastest here; a candidate that
 * cannot take the shape shows –).
 */
export function candidateTable(results: Pick<BenchResults, 'kernels'>, family: TunedFamily): Table {
  const rows = tunedRows(results, family);
  const names = [...new Set(rows.flatMap((k) => Object.keys(k.candidates!)))];
  return {
    header: [family.name, 'shape', ...names, 'picked', 'picked ÷ fastest', 'used by'],
    rows: rows.map((k) => {
      const rates = k.candidates!;
      const fastest = Math.max(...Object.values(rates));
      const picked = k.picked !== undefined ? rates[k.picked] : undefined;
      return [
        k.name,
        k.shape,
        ...names.map((n) => (rates[n] === undefined ? '–' : `${fmt(rates[n])}${n === k.picked ? '*' : ''}`)),
        k.picked ?? '–',
        picked === undefined ? '–' : pct(picked / fastest),
        usesText(k.uses),
      ];
    }),
    align: ['l', 'l', ...names.map((): Align => 'r'), 'l', 'r', 'l'],
  };
}

/** The families that have rows, each with its table. */
export function candidateTables(results: Pick<BenchResults, 'kernels'>): { family: TunedFamily; table: Table }[] {
  return TUNED_FAMILIES.map((family) => ({ family, table: candidateTable(results, family) })).filter((t) => t.table.rows.length);
}

/** A table's title line: the family, its unit and the pick's mark. */
export const candidateTitle = (family: TunedFamily) => `${family.title} (${family.unit}; * the tuner's pick)`;

/**
 * Bars of every candidate's rate per shape (linear scale, one per family: their units differ),
 * grouped by family, the tuner's pick filled dark.
 */
export function candidateChart(r: Pick<BenchResults, 'kernels' | 'adapter' | 'date'>): string {
  const groups = TUNED_FAMILIES.map((family) => ({ family, rows: tunedRows(r, family) })).filter((g) => g.rows.length);
  const labelWidth = 330;
  const plotWidth = 420;
  const barHeight = 12;
  const top = 40;
  const bars = groups.reduce((n, g) => n + 2 + g.rows.reduce((m, k) => m + Object.keys(k.candidates!).length + 1, 0), 0);
  const height = top + bars * barHeight + 20;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 90}" height="${height}" font-family="sans-serif" font-size="10">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">Tuned kernels' candidates (${escapeSvg(r.adapter)}, ${r.date}); dark: the tuner's pick</text>`,
  ];
  let y = top;
  for (const { family, rows } of groups) {
    const hi = Math.max(...rows.flatMap((k) => Object.values(k.candidates!))) * 1.1;
    const x = (v: number) => labelWidth + (plotWidth * v) / hi;
    y += barHeight;
    out.push(`<text x="10" y="${y + 10}" font-size="12" font-weight="bold">${escapeSvg(`${family.title}, ${family.unit}`)}</text>`);
    y += barHeight;
    for (const k of rows) {
      out.push(`<text x="10" y="${y + 10}" font-weight="bold">${escapeSvg(`${usesText(k.uses)} ${k.name} ${k.shape}`)}</text>`);
      y += barHeight;
      for (const [name, rate] of Object.entries(k.candidates!)) {
        out.push(`<text x="${labelWidth - 6}" y="${y + 10}" text-anchor="end">${escapeSvg(name)}</text>`);
        out.push(`<rect x="${labelWidth}" y="${y + 2}" width="${Math.max(1, x(rate) - labelWidth)}" height="${barHeight - 3}" fill="${name === k.picked ? '#1f4e96' : '#9dbbe8'}"/>`);
        out.push(`<text x="${x(rate) + 4}" y="${y + 10}">${fmt(rate)} ${family.unit}</text>`);
        y += barHeight;
      }
    }
  }
  out.push('</svg>');
  return out.join('\n');
}
