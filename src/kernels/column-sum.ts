/** Column sums out[c] = Σ_r x[r, c]: the bias gradient of dense and conv layers. */
import code from '../../shaders/column-sum.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';
import { withChunkBlock } from './window.js';

/** The shader over four columns at a time, for column counts that 4 divides. */
const vec4Code = withChunkBlock(code, 'alias Value = vec4f;');

const WG = 64;
/** Rows each invocation of the first pass sums: long enough to amortise, short enough to spread. */
const ROWS_PER_CHUNK = 128;

/**
 * x: (rows, cols) → out: (cols). Two dispatches: per-chunk partial sums into a scratch
 * buffer (chunks, cols) taken from `scratch` once, then their sum.
 */
export async function columnSum(
  device: Device,
  shape: { rows: number; cols: number },
  io: { x: Binding; out: Binding },
  scratch: Scratch,
  /** Columns per invocation; default 4 where 4 divides cols, else 1. Forcing 1 is for the bench. */
  chunk: 1 | 4 = shape.cols % 4 === 0 ? 4 : 1,
): Promise<Dispatch[]> {
  const { rows, cols } = shape;
  if (!(rows >= 1 && cols >= 1)) throw new Error(`column sum: rows and cols must be ≥ 1 (got ${rows}, ${cols})`);
  if (cols % chunk) throw new Error(`column sum: ${chunk} columns per invocation need cols % ${chunk} == 0 (cols = ${cols})`);
  const chunks = Math.ceil(rows / ROWS_PER_CHUNK);
  const partials = scratch(`column sum partials ${chunks}×${cols}`, chunks * cols * 4);
  const shader = chunk === 4 ? vec4Code : code;
  const values = cols / chunk;
  const constants = { ROWS: rows, COLS: values, CHUNKS: chunks, ROWS_PER_CHUNK, WG };
  return [
    await createDispatch(device, { label: 'column sum', code: shader, entryPoint: 'partial', constants }, [io.x, partials], [Math.ceil(values / WG), chunks]),
    await createDispatch(device, { label: 'column sum finish', code: shader, entryPoint: 'finish', constants }, [partials, io.out], [Math.ceil(values / WG)]),
  ];
}
