/**
 * The bench's outputs from its results: the text table, the markdown report, the SVG chart
 * of the webgpu-dl ÷ TF.js ratios, and the README's Performance section (the tuned kernels'
 * candidates in them come from bench/report-candidates.ts).
 */
import { candidateTables, candidateTitle } from './report-candidates.js';
import { asMarkdown, asText, escapeSvg as esc, fmt, fmtRatio, pct, usesText, type Table } from './report-table.js';
import type { BenchResults, BreakdownResult, KernelResult, TrainingResult } from './results-types.js';

/** Kernels: the engine's rows, with the peer's time and the ratio next to each matmul that it ran. */
export function kernelTable(results: Pick<BenchResults, 'kernels'>): Table {
  const peer = new Map(results.kernels.filter((k) => k.engine === 'tfjs-webgpu').map((k) => [`${k.name}|${k.shape}`, k]));
  const rows = results.kernels
    .filter((k) => k.engine === 'webgpu-dl')
    .map((k) => {
      const p = peer.get(`${k.name}|${k.shape}`);
      const rate = k.gflops !== undefined ? `${fmt(k.gflops)} GFLOP/s` : `${fmt(k.gbps)} GB/s`;
      return [k.name, k.shape, fmt(k.ms), rate, p ? fmt(p.ms) : '', p?.gflops !== undefined ? fmt(p.gflops) : '', p ? fmtRatio(p.ms / k.ms) : '', usesText(k.uses)];
    });
  return {
    header: ['kernel', 'shape', 'ms', 'rate', 'TF.js ms', 'TF.js GFLOP/s', 'ratio', 'used by'],
    rows,
    align: ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
  };
}

export function trainingTable(results: Pick<BenchResults, 'training'>): Table {
  const presets = [...new Set(results.training.map((t) => t.preset))];
  const rows = presets.map((preset) => {
    const ours = results.training.find((t) => t.preset === preset && t.engine === 'webgpu-dl');
    const peer = results.training.find((t) => t.preset === preset && t.engine === 'tfjs-webgpu');
    const batch = (ours ?? peer)!.batchSize;
    return [
      preset,
      String(batch),
      fmt(ours?.samplesPerSec),
      fmt(ours?.stepGflops),
      pct(ours?.fractionOfBestMatmul),
      fmt(peer?.samplesPerSec),
      fmt(peer?.stepGflops),
      ours && peer ? fmtRatio(ours.samplesPerSec / peer.samplesPerSec) : '–',
      `${ours?.steps ?? '–'} / ${peer ? peerSteps(peer) : '–'}`,
    ];
  });
  return {
    header: ['preset', 'batch', 'samples/s', 'step GFLOP/s', 'of best matmul', 'TF.js samples/s', 'TF.js GFLOP/s', 'ratio', 'steps timed (ours / TF.js)'],
    rows,
    align: ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  };
}

function peerSteps(t: TrainingResult): string {
  const n = t.compiledWhileTimed ?? 0;
  return n ? `${t.steps} (${n} pipeline${n === 1 ? '' : 's'} compiled while timed)` : String(t.steps);
}

export function breakdownTable(b: BreakdownResult): Table {
  return {
    header: ['kernel', 'ms per step', 'share', 'calls'],
    rows: b.kernels.map((k) => [k.kernel, fmt(k.ms), pct(k.share), String(k.calls)]),
    align: ['l', 'r', 'r', 'r'],
  };
}

/** The slowest dispatches of a step, each with the layer and role it serves. */
export function topDispatchTable(b: BreakdownResult, count = 8): Table {
  const sorted = [...b.dispatches].sort((x, y) => y.ms - x.ms).slice(0, count);
  return {
    header: ['dispatch', 'kernel', 'shape', 'ms', 'share'],
    rows: sorted.map((d) => [d.use === d.label ? d.label : `${d.use} (${d.label})`, d.kernel, d.shape, fmt(d.ms), pct(d.ms / b.dispatchMs)]),
    align: ['l', 'l', 'l', 'r', 'r'],
  };
}

export function goalsTable(results: Pick<BenchResults, 'goals'>): Table {
  return {
    header: ['goal', 'target', 'measured', 'met'],
    rows: results.goals.map((g) => [g.goal, g.target, g.measured, g.met === null ? 'not measured' : g.met ? 'yes' : 'no']),
    align: ['l', 'l', 'l', 'l'],
  };
}

function breakdownTitle(b: BreakdownResult): string {
  return `Where a training step's time goes: ${b.preset}, batch ${b.batchSize} — dispatches sum to ${fmt(b.dispatchMs)} ms of a ${fmt(b.stepMs)} ms step`;
}

export function summaryText(r: BenchResults): string {
  const parts = r.training.length ? ['Training (webgpu-dl vs TF.js WebGPU, same adapter, same run)', asText(trainingTable(r))] : [];
  for (const b of r.breakdown) parts.push('', breakdownTitle(b), asText(breakdownTable(b)), '', asText(topDispatchTable(b)));
  if (r.bestMatmulGflops !== null) parts.push('', `Best matmul of webgpu-dl: ${fmt(r.bestMatmulGflops)} GFLOP/s`);
  for (const { family, table } of candidateTables(r)) parts.push('', candidateTitle(family), asText(table));
  parts.push('', 'Goals', asText(goalsTable(r)));
  if (r.notes.length) parts.push('', ...r.notes.map((n) => `note: ${n}`));
  return parts.join('\n');
}

export function markdownReport(r: BenchResults, chartFile: string, candidateChartFile: string): string {
  const lines = [
    `# webgpu-dl bench — ${r.date} — ${r.adapter}`,
    '',
    `Command: \`${r.command}\` (${Math.round(r.seconds)} s). Engine ${r.version}; peer TF.js ${r.peer?.version ?? '–'} with @tensorflow/tfjs-backend-webgpu on the same Dawn adapter (${r.peer?.adapter ?? 'not run'}), in the same process.`,
    `Kernels timed by ${r.clock === 'gpu-timestamps' ? 'GPU timestamp queries (one compute pass per call; interquartile mean over the repetitions)' : 'the wall clock around many calls in one submit'}; TF.js kernels and all training steps by the wall clock.`,
    'Ratios are webgpu-dl ÷ TF.js (higher is better for webgpu-dl), measured side by side.',
    '',
    `![ratios](${chartFile})`,
    '',
    '## Goals',
    '',
    asMarkdown(goalsTable(r)),
    '',
    '## Training',
    '',
    'Samples/s of whole training steps (forward, loss, backward, optimizer update) at each preset\'s batch size, on random data. webgpu-dl: through `model.fit` (host batching, upload, one submit per step, metrics read back at the end), after a warm-up step, timed before and after TF.js (which takes minutes) so that the load other jobs put on the CPU weighs on both alike; its figure covers both timings. TF.js: `optimizer.minimize` over the same model (built from the engine model\'s TF.js topology), same optimizer, loss not read back per step; it warms up with one step at batch 16 (its full steps take minutes here), and the table says if its timed steps still compiled pipelines. Step GFLOP/s counts the GEMMs of forward and backward (2·M·N·K each); "of best matmul" divides it by the engine\'s best matmul rate in this run.',
    '',
    asMarkdown(trainingTable(r)),
    '',
  ];
  for (const b of r.breakdown) {
    lines.push(`## ${breakdownTitle(b)}`, '', asMarkdown(breakdownTable(b)), '', 'Slowest dispatches:', '', asMarkdown(topDispatchTable(b, 10)), '');
  }
  lines.push(
    '## Kernels',
    '',
    'Time per call; GFLOP/s for matmuls (2·M·N·K), GB/s for memory-bound kernels (each input read once, each output written once). Matmul shapes are M×N×K; the presets\' shapes are every GEMM of every layer\'s forward and backward at the preset\'s batch size.',
    '',
    asMarkdown(kernelTable(r)),
    '',
  );
  const tables = candidateTables(r);
  if (tables.length) lines.push('## Tuned kernels: every candidate and the tuner\'s pick', '', `![candidates](${candidateChartFile})`, '');
  for (const { family, table } of tables) {
    lines.push(`### ${candidateTitle(family)}`, '', `${family.unit} of ${family.about} \`*\` marks the candidate the engine's tuner picked on this adapter; "picked ÷ fastest" how close its pick comes to the fastest here. – : the candidate cannot take the shape.`, '', asMarkdown(table), '');
  }
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}

/** The README's Performance section (without its heading). */
export function readmeSection(r: BenchResults, reportPath: string, chartPath: string, candidatesChartPath: string): string {
  const whereTimeGoes = r.breakdown.map((b) => {
    const top = b.kernels.slice(0, 4).map((k) => `${k.kernel} ${(100 * k.share).toFixed(0)}%`).join(', ');
    const slowest = [...b.dispatches].sort((x, y) => y.ms - x.ms)[0];
    return `- ${b.preset}: ${top}; the slowest dispatch is ${slowest.use} (${slowest.kernel} ${slowest.shape}, ${(100 * slowest.ms / b.dispatchMs).toFixed(0)}%).`;
  });
  return [
    `The latest full run, \`${r.command}\`, on ${r.adapter}, ${r.date} (${Math.round(r.seconds / 60)} minutes; the report: [${reportPath}](${reportPath})). Ratios are webgpu-dl ÷ TF.js ${r.peer?.version ?? ''} with its WebGPU backend, side by side on the same Dawn adapter in one process: the same layers, batch size and optimizer. SwiftShader runs on the CPU that other jobs share; compare ratios, not bare times.`,
    '',
    asMarkdown(trainingTable(r)),
    '',
    asMarkdown(goalsTable(r)),
    '',
    'Step GFLOP/s counts each step\'s nominal GEMM FLOPs (every conv in its im2col form). Where the tuner picked Winograd convolution, which does fewer multiply-adds, the rate is an effective one and can exceed the best matmul\'s. TF.js is timed over as few steps as the bench\'s time bound allows (last column of the first table), so its figure, and each ratio, moves by tens of percent from run to run.',
    '',
    ...(whereTimeGoes.length ? [`Where a training step's time goes (each dispatch timed by ${r.clock === 'gpu-timestamps' ? 'GPU timestamps' : 'the wall clock'}):`, '', ...whereTimeGoes, ''] : []),
    `![webgpu-dl ÷ TF.js](${chartPath})`,
    '',
    ...readmeCandidates(r, candidatesChartPath),
    '```sh',
    'npm run bench                        # kernels, training, the TF.js peer, files under bench/results/',
    'npm run bench -- --quick             # tiny sizes: a smoke test (npm test runs it)',
    'npm run -s bench -- --presets mnist-cnn --kernels matmul --json   # narrower; one JSON object on stdout',
    'npm run bench -- --help              # every option',
    '```',
    '',
  ].join('\n');
}

/**
 * The README's view of the tuned kernels: the chart of every candidate, and the tables of the
 * families other than the matmul (a few rows each; the matmul's many shapes are in the report).
 */
function readmeCandidates(r: BenchResults, chartPath: string): string[] {
  const tables = candidateTables(r);
  if (!tables.length) return [];
  const lines = [`Every candidate of each tuned kernel on each shape the presets use (and the square matmuls), the tuner's pick dark; the report's "Tuned kernels" tables have every figure:`, '', `![tuned kernels' candidates](${chartPath})`, ''];
  for (const { family, table } of tables.filter((t) => t.family.name !== 'matmul')) lines.push(`${candidateTitle(family)}:`, '', asMarkdown(table), '');
  return lines;
}

/** Horizontal log-scale bars of the ratios, with lines at 1× and at the 20× training goal. */
export function ratioChart(r: BenchResults): string {
  const bars: { label: string; ratio: number; group: string }[] = [
    ...r.ratios.training.map((t) => ({ label: t.preset, ratio: t.ratio, group: 'training samples/s' })),
    ...r.ratios.matmul.map((m) => ({
      label: m.use.startsWith('square') ? `${m.name} ${m.shape}` : `${m.use} ${m.shape}`,
      ratio: m.ratio,
      group: 'matmul GFLOP/s',
    })),
  ].filter((b) => Number.isFinite(b.ratio) && b.ratio > 0);
  const labelWidth = 330;
  const plotWidth = 460;
  const rowHeight = 18;
  const top = 40;
  const groups = [...new Set(bars.map((b) => b.group))];
  const height = top + (bars.length + groups.length) * rowHeight + 40;
  const lo = Math.min(0.5, ...bars.map((b) => b.ratio)) / 1.2;
  const hi = Math.max(40, ...bars.map((b) => b.ratio)) * 1.2;
  const x = (v: number) => labelWidth + (plotWidth * Math.log10(v / lo)) / Math.log10(hi / lo);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 70}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="18" font-size="13" font-weight="bold">webgpu-dl ÷ TF.js WebGPU, same adapter (${esc(r.adapter)}), ${r.date} — log scale</text>`,
  ];
  const plotBottom = height - 30;
  for (const tick of [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500]) {
    if (tick < lo || tick > hi) continue;
    const tx = x(tick);
    const strong = tick === 1 || tick === 20;
    out.push(`<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${plotBottom}" stroke="${tick === 20 ? '#c33' : strong ? '#333' : '#ddd'}" stroke-dasharray="${tick === 20 ? '4 3' : ''}"/>`);
    out.push(`<text x="${tx}" y="${plotBottom + 14}" text-anchor="middle">${tick}×</text>`);
    if (tick === 20) out.push(`<text x="${tx + 4}" y="${top + 4}" fill="#c33">training goal</text>`);
  }
  let y = top;
  for (const group of groups) {
    out.push(`<text x="10" y="${y + 12}" font-weight="bold">${esc(group)}</text>`);
    y += rowHeight;
    for (const b of bars.filter((bar) => bar.group === group)) {
      const x0 = x(Math.min(1, b.ratio));
      const x1 = x(Math.max(1, b.ratio));
      const color = b.ratio >= 1 ? '#3a7bd5' : '#e08a2c';
      out.push(`<text x="${labelWidth - 6}" y="${y + 12}" text-anchor="end">${esc(b.label)}</text>`);
      out.push(`<rect x="${x0}" y="${y + 3}" width="${Math.max(1, x1 - x0)}" height="${rowHeight - 6}" fill="${color}"/>`);
      out.push(`<text x="${x1 + 4}" y="${y + 12}">${fmt(b.ratio)}×</text>`);
      y += rowHeight;
    }
  }
  out.push('</svg>');
  return out.join('\n');
}

export function kernelRowText(k: KernelResult, peer?: KernelResult): string {
  const rate = k.gflops !== undefined ? `${fmt(k.gflops)} GFLOP/s` : `${fmt(k.gbps)} GB/s`;
  const versus = peer ? `   TF.js ${fmt(peer.ms)} ms ${fmt(peer.gflops)} GFLOP/s   ratio ${fmtRatio(peer.ms / k.ms)}` : '';
  return `${k.name.padEnd(32)} ${k.shape.padEnd(30)} ${fmt(k.ms).padStart(9)} ms ${rate.padStart(16)}${versus}   ${usesText(k.uses)}`;
}
