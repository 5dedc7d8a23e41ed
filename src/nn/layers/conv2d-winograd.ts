/**
 * The graph ops of a Conv2D layer computed by Winograd F(2×2, 3×3) (src/kernels/winograd.ts):
 * its forward, and its input gradient. The intermediates U, V and M are graph tensors, so the
 * planner gives them slots that later ops reuse.
 */
import type { TensorId } from '../../graph/graph.js';
import { forwardGeometry, inputGradientGeometry, WINOGRAD_POSITIONS, winogradConv, winogradTiles, type WinogradGeometry } from '../../kernels/winograd.js';
import type { WindowParams } from '../../kernels/window.js';
import type { WeightSlot } from '../weights.js';
import type { RecordContext } from './layer.js';

/** U (16, cin, cout), V (16, tiles, cin), M (16, tiles, cout) for one Winograd convolution. */
function intermediates(ctx: RecordContext, label: string, g: WinogradGeometry): { u: TensorId; v: TensorId; m: TensorId } {
  const tiles = winogradTiles(g);
  return {
    u: ctx.graph.tensor(`${label}/winograd U`, [WINOGRAD_POSITIONS, g.cin, g.cout]),
    v: ctx.graph.tensor(`${label}/winograd V`, [WINOGRAD_POSITIONS, tiles, g.cin]),
    m: ctx.graph.tensor(`${label}/winograd M`, [WINOGRAD_POSITIONS, tiles, g.cout]),
  };
}

/** z = conv(x, W) (+ bias) (then ReLU): (batch, OH, OW, filters). */
export function recordWinogradForward(
  ctx: RecordContext,
  label: string,
  x: TensorId, // (batch, H, W, CIN)
  p: WindowParams,
  filters: number,
  kernel: WeightSlot, // (3, 3, CIN, filters)
  bias: WeightSlot | undefined, // (filters)
  relu: boolean,
): TensorId {
  const { graph, device, weights } = ctx;
  const g = forwardGeometry(p, filters);
  const { u, v, m } = intermediates(ctx, label, g);
  const z = graph.tensor(`${label}/output`, [p.batch, p.outH, p.outW, filters]);
  graph.add({
    label: `${label} winograd`,
    reads: [x],
    writes: [u, v, m, z],
    createDispatches: (bind, scratch) =>
      winogradConv(
        device,
        g,
        { x: bind(x), w: weights.range(kernel), u: bind(u), v: bind(v), m: bind(m), y: bind(z), bias: bias && weights.range(bias) },
        { relu, label: `${label} winograd` },
        scratch,
      ),
  });
  return z;
}

/**
 * dX = the input gradient from dZ, (batch, H, W, CIN); with `reluOutput` (x, the output of the
 * ReLU before) that ReLU's backward is applied too.
 */
export function recordWinogradInputGradient(
  ctx: RecordContext,
  label: string,
  dZ: TensorId, // (batch, OH, OW, filters)
  p: WindowParams,
  filters: number,
  kernel: WeightSlot, // (3, 3, CIN, filters)
  reluOutput: TensorId | undefined, // (batch, H, W, CIN)
): TensorId {
  const { graph, device, weights } = ctx;
  const g = inputGradientGeometry(p, filters);
  const { u, v, m } = intermediates(ctx, `${label} dX`, g);
  const dX = graph.tensor(`${label}/dInput`, [p.batch, p.height, p.width, p.channels]);
  const what = reluOutput === undefined ? `${label} winograd dX` : `${label} winograd dX +relu backward`;
  graph.add({
    label: what,
    reads: reluOutput === undefined ? [dZ] : [dZ, reluOutput],
    writes: [u, v, m, dX],
    createDispatches: (bind, scratch) =>
      winogradConv(
        device,
        g,
        { x: bind(dZ), w: weights.range(kernel), u: bind(u), v: bind(v), m: bind(m), y: bind(dX), reluOutput: reluOutput === undefined ? undefined : bind(reluOutput) },
        { inputGradient: true, label: what },
        scratch,
      ),
  });
  return dX;
}
