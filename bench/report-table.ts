/** The bench reports' number formatting and tables, as text (the terminal) and as markdown. */

export type Align = 'l' | 'r';

/** Significant-figure formatting that stays readable from 0.001 to 100,000. */
export function fmt(value: number | undefined | null, digits = 3): string {
  if (value === undefined || value === null || !Number.isFinite(value)) return '–';
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  return value.toFixed(Math.min(decimals, 4));
}

export const fmtRatio = (r: number | undefined) => (r === undefined || !Number.isFinite(r) ? '–' : `${fmt(r)}×`);
export const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '–' : `${(100 * x).toFixed(1)}%`);

export function textTable(header: string[], rows: string[][], align: Align[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(header: string[], rows: string[][], align: Align[]): string {
  const escape = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(escape).join(' | ')} |`,
    `|${align.map((a) => (a === 'r' ? '---:' : ':---')).join('|')}|`,
    ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`),
  ].join('\n');
}

export type Table = { header: string[]; rows: string[][]; align: Align[] };

export const asText = (t: Table) => textTable(t.header, t.rows, t.align);
export const asMarkdown = (t: Table) => markdownTable(t.header, t.rows, t.align);

/** Where a shape comes from: its first use, and how many more. */
export function usesText(uses: string[]): string {
  if (uses.length === 0) return '';
  return uses.length === 1 ? uses[0] : `${uses[0]} (+${uses.length - 1})`;
}

/** Text safe inside SVG markup. */
export const escapeSvg = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
