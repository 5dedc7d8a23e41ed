/**
 * Draws a run record's per-epoch curve (bench/curve-svg.ts) as an SVG beside it:
 *   node scripts/run.mjs bench/curve.ts RECORD.json [--out FILE.svg]
 * For mnist-cnn, Keras' published per-epoch validation accuracy is drawn on it.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { readRunRecord } from '../src/io/run-record.js';
import { curveSvg } from './curve-svg.js';

const USAGE = 'usage: node scripts/run.mjs bench/curve.ts RECORD.json [--out FILE.svg]   (default: RECORD.svg beside it)';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1 || !positionals[0].endsWith('.json')) {
    console.error(USAGE);
    return 2;
  }
  const path = positionals[0];
  const record = await readRunRecord(path);
  const out = values.out ?? path.replace(/\.json$/, '.svg');
  writeFileSync(out, curveSvg(record));
  console.log(`${out}: ${record.settings.model}, ${record.statusNote}`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (err) {
  console.error(`curve: ${(err as Error).message}`);
  process.exitCode = 1;
}
