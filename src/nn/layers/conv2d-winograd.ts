/**
 * The graph ops of a Conv2D layer computed by Winograd F(2×2, 3×3) or F(4×4, 3×3) (`tile`, 2 or 4; src/kernels/winograd.ts):
 * its forward, its input gradient and its weight gradient. The intermediates U, V and M are graph
 * tensors, so the planner gives them slots that later ops reuse; the weight gradient reads the
 * forward's V when the forward ran by Winograd with the same tile (the planner then keeps V until the backward).
 */
import type { TensorId } from '../../graph/graph.js';
import {
  forwardGeometry,
  inputGradientGeometry,
  weightGradientSplits,
  winogradConv,
  winogradPositions,
  winogradTiles,
  winogradWeightGradient,
  type WinogradGeometry,
  type WinogradTile,
} from '../../kernels/winograd.js';
import type { WindowParams } from '../../kernels/window.js';
import type { WeightSlot } from '../weights.js';
import type { RecordContext } from './layer.js';
import { biasGradient } from './linear.js';

/** U (P, cin, cout), V (P, tiles, cin), M (P, tiles, cout) for one Winograd convolution, P = winogradPositions. */
function intermediates(ctx: RecordContext, label: string, g: WinogradGeometry): { u: TensorId; v: TensorId; m: TensorId } {
  const tiles = winogradTiles(g);
  const positions = winogradPositions(g.tile);
  return {
    u: ctx.graph.tensor(`${label}/winograd U`, [positions, g.cin, g.cout]),
    v: ctx.graph.tensor(`${label}/winograd V`, [positions, tiles, g.cin]),
    m: ctx.graph.tensor(`${label}/winograd M`, [positions, tiles, g.cout]),
  };
}

/** z = conv(x, W) (+ bias) (then ReLU): (batch, OH, OW, filters); v: its transformed input tiles (P, tiles, CIN). */
export function recordWinogradForward(
  ctx: RecordContext,
  label: string,
  x: TensorId, // (batch, H, W, CIN)
  p: WindowParams,
  filters: number,
  kernel: WeightSlot, // (3, 3, CIN, filters)
  bias: WeightSlot | undefined, // (filters)
  relu: boolean,
  tile: WinogradTile,
): { z: TensorId; v: TensorId } {
  const { graph, device, weights } = ctx;
  const g = forwardGeometry(p, filters, tile);
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
  return { z, v };
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
  tile: WinogradTile,
): TensorId {
  const { graph, device, weights } = ctx;
  const g = inputGradientGeometry(p, filters, tile);
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

/**
 * dW = the weight gradient from dZ, written into the kernel's gradient, by Winograd F(3×3, tile×tile);
 * with the bias gradient Σ dZ (as linear.ts' recordWeightGradient). `input` is the forward's V
 * after a Winograd forward with the same tile, else x, transformed here.
 */
export function recordWinogradWeightGradient(
  ctx: RecordContext,
  label: string,
  input: { v: TensorId } | { x: TensorId }, // V (P, tiles, CIN), or x (batch, H, W, CIN)
  dZ: TensorId, // (batch, OH, OW, filters)
  p: WindowParams,
  filters: number,
  kernel: WeightSlot, // (3, 3, CIN, filters)
  bias: WeightSlot | undefined, // (filters)
  tile: WinogradTile,
): void {
  const { graph, device, weights } = ctx;
  const g = forwardGeometry(p, filters, tile);
  const tiles = winogradTiles(g);
  const positions = winogradPositions(tile);
  const v = 'v' in input ? input.v : graph.tensor(`${label} dW/winograd V`, [positions, tiles, g.cin]);
  const u = graph.tensor(`${label} dW/winograd U'`, [positions, tiles, g.cout]);
  const m = graph.tensor(`${label} dW/winograd M`, [positions, weightGradientSplits(g), g.cin, g.cout]);
  const x = 'x' in input ? input.x : undefined;
  const what = `${label} winograd dW`;
  graph.add({
    label: what,
    reads: [x ?? v, dZ],
    writes: x === undefined ? [u, m] : [v, u, m],
    createDispatches: async (bind, scratch) => [
      ...(await winogradWeightGradient(device, g, { x: x === undefined ? undefined : bind(x), v: bind(v), dZ: bind(dZ), u: bind(u), m: bind(m), dW: weights.gradRange(kernel) }, { label: what }, scratch)),
      ...(await biasGradient(ctx, bind(dZ), p.batch * p.outH * p.outW, filters, bias, scratch)),
    ],
  });
}
