/**
 * The graph ops of a Conv2D layer computed by Winograd F(2×2, 3×3) (src/kernels/winograd.ts):
 * its forward, its input gradient and its weight gradient. The intermediates U, V and M are graph
 * tensors, so the planner gives them slots that later ops reuse; the weight gradient reads the
 * forward's V when the forward ran by Winograd (the planner then keeps V until the backward).
 */
import type { TensorId } from '../../graph/graph.js';
import {
  forwardGeometry,
  inputGradientGeometry,
  weightGradientSplits,
  WINOGRAD_POSITIONS,
  winogradConv,
  winogradTiles,
  winogradWeightGradient,
  type WinogradGeometry,
} from '../../kernels/winograd.js';
import type { WindowParams } from '../../kernels/window.js';
import type { WeightSlot } from '../weights.js';
import type { RecordContext } from './layer.js';
import { biasGradient } from './linear.js';

/** U (16, cin, cout), V (16, tiles, cin), M (16, tiles, cout) for one Winograd convolution. */
function intermediates(ctx: RecordContext, label: string, g: WinogradGeometry): { u: TensorId; v: TensorId; m: TensorId } {
  const tiles = winogradTiles(g);
  return {
    u: ctx.graph.tensor(`${label}/winograd U`, [WINOGRAD_POSITIONS, g.cin, g.cout]),
    v: ctx.graph.tensor(`${label}/winograd V`, [WINOGRAD_POSITIONS, tiles, g.cin]),
    m: ctx.graph.tensor(`${label}/winograd M`, [WINOGRAD_POSITIONS, tiles, g.cout]),
  };
}

/** z = conv(x, W) (+ bias) (then ReLU): (batch, OH, OW, filters); v: its transformed input tiles (16, tiles, CIN). */
export function recordWinogradForward(
  ctx: RecordContext,
  label: string,
  x: TensorId, // (batch, H, W, CIN)
  p: WindowParams,
  filters: number,
  kernel: WeightSlot, // (3, 3, CIN, filters)
  bias: WeightSlot | undefined, // (filters)
  relu: boolean,
): { z: TensorId; v: TensorId } {
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

/**
 * dW = the weight gradient from dZ, written into the kernel's gradient, by Winograd F(3×3, 2×2);
 * with the bias gradient Σ dZ (as linear.ts' recordWeightGradient). `input` is the forward's V
 * after a Winograd forward, else x, transformed here.
 */
export function recordWinogradWeightGradient(
  ctx: RecordContext,
  label: string,
  input: { v: TensorId } | { x: TensorId }, // V (16, tiles, CIN), or x (batch, H, W, CIN)
  dZ: TensorId, // (batch, OH, OW, filters)
  p: WindowParams,
  filters: number,
  kernel: WeightSlot, // (3, 3, CIN, filters)
  bias: WeightSlot | undefined, // (filters)
): void {
  const { graph, device, weights } = ctx;
  const g = forwardGeometry(p, filters);
  const tiles = winogradTiles(g);
  const v = 'v' in input ? input.v : graph.tensor(`${label} dW/winograd V`, [WINOGRAD_POSITIONS, tiles, g.cin]);
  const u = graph.tensor(`${label} dW/winograd U'`, [WINOGRAD_POSITIONS, tiles, g.cout]);
  const m = graph.tensor(`${label} dW/winograd M`, [WINOGRAD_POSITIONS, weightGradientSplits(g), g.cin, g.cout]);
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
