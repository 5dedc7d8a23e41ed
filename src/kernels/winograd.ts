/**
 * Winograd convolution F(2×2, 3×3) or F(4×4, 3×3) (shaders/winograd-common.wgsl with
 * winograd.wgsl or winograd4.wgsl; `tile`: the output tile's side, 2 or 4): a 3×3, stride-1
 * convolution as an input transform, a weight transform, one batched matmul of (tile + 2)²
 * products (src/kernels/matmul.ts) and an output transform with the bias and ReLU (or, for an
 * input gradient, the previous layer's ReLU backward). 2.25× (tile 2) or 4× (tile 4) fewer
 * multiply-adds than im2col + matmul; tile 4 moves fewer values through its transforms too, and
 * rounds more (its transforms' entries reach 8).
 *   forward:         y  = conv(x, W),                  padding (padTop, padLeft)
 *   input gradient:  dX = conv(dY, W rotated 180°, CIN ↔ COUT), padding (2 - padTop, 2 - padLeft)
 * and the weight gradient by F(3×3, tile×tile) on the forward's tiles (winogradWeightGradient):
 *   weight gradient: dW = A'ᵀ [Σ_tiles V ⊙ (G' dZ G'ᵀ)] A', V the forward's input transform
 */
import commonCode from '../../shaders/winograd-common.wgsl';
import tile2Code from '../../shaders/winograd.wgsl';
import tile4Code from '../../shaders/winograd4.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import type { Scratch } from '../runtime/scratch.js';
import { matmul, type MatmulKernel } from './matmul.js';
import { channelChunk, withChunkBlock, type WindowParams } from './window.js';

const WG = 64;

/** The side of a Winograd convolution's output tile: F(2×2, 3×3) or F(4×4, 3×3). */
export type WinogradTile = 2 | 4;

/** The shader of each tile size: scalar transforms, and vec4 ones (4 channels per invocation). */
const SHADERS: Record<WinogradTile, { scalar: string; vec4: string }> = {
  2: withChunks(`${commonCode}\n${tile2Code}`),
  4: withChunks(`${commonCode}\n${tile4Code}`),
};

function withChunks(code: string): { scalar: string; vec4: string } {
  return { scalar: code, vec4: withChunkBlock(code, 'alias Chunk = vec4f;\nconst CHUNK = 4u;') };
}

/** Every shader text of Winograd's transforms (its products are the matmul's). */
export const WINOGRAD_SHADERS: readonly string[] = Object.values(SHADERS).flatMap((s) => [s.scalar, s.vec4]);

/** The transformed (tile + 2)×(tile + 2) tile's positions: one matmul each (16 or 36). */
export function winogradPositions(tile: WinogradTile): number {
  return (tile + 2) ** 2;
}

/**
 * One Winograd convolution: input (batch, inH, inW, cin) → output (batch, outH, outW, cout),
 * output pixel (oh, ow) summing input pixels (oh + kh - padTop, ow + kw - padLeft), kh, kw < 3.
 */
export interface WinogradGeometry {
  tile: WinogradTile;
  batch: number;
  inH: number;
  inW: number;
  outH: number;
  outW: number;
  padTop: number;
  padLeft: number;
  cin: number;
  cout: number;
}

/** Why Winograd (either tile) cannot run this convolution, or undefined when it can. */
export function winogradProblem(p: WindowParams): string | undefined {
  if (p.kernelH !== 3 || p.kernelW !== 3) return `Winograd needs a 3×3 kernel (got ${p.kernelH}×${p.kernelW})`;
  if (p.strideH !== 1 || p.strideW !== 1) return `Winograd needs stride 1 (got ${p.strideH}×${p.strideW})`;
  if ((p.dilationH ?? 1) !== 1 || (p.dilationW ?? 1) !== 1) return `Winograd needs adjacent taps (got dilation ${p.dilationH ?? 1}×${p.dilationW ?? 1})`;
  return undefined;
}

/** The forward convolution of a conv layer (p: its window geometry; cout: its filters). */
export function forwardGeometry(p: WindowParams, cout: number, tile: WinogradTile): WinogradGeometry {
  const problem = winogradProblem(p);
  if (problem) throw new Error(problem);
  return { tile, batch: p.batch, inH: p.height, inW: p.width, outH: p.outH, outW: p.outW, padTop: p.padTop, padLeft: p.padLeft, cin: p.channels, cout };
}

/** The convolution that gives that layer's input gradient: dY (outH, outW, cout) → dX (H, W, cin). */
export function inputGradientGeometry(p: WindowParams, cout: number, tile: WinogradTile): WinogradGeometry {
  const f = forwardGeometry(p, cout, tile);
  return { tile, batch: f.batch, inH: f.outH, inW: f.outW, outH: f.inH, outW: f.inW, padTop: 2 - f.padTop, padLeft: 2 - f.padLeft, cin: f.cout, cout: f.cin };
}

/** Tiles of tile×tile output pixels: batch · ceil(outH / tile) · ceil(outW / tile). */
export function winogradTiles(g: WinogradGeometry): number {
  return g.batch * Math.ceil(g.outH / g.tile) * Math.ceil(g.outW / g.tile);
}

/** Element counts of the three intermediates, P = winogradPositions: U (P, cin, cout), V (P, tiles, cin), M (P, tiles, cout). */
export function winogradSizes(g: WinogradGeometry): { u: number; v: number; m: number } {
  const tiles = winogradTiles(g);
  const positions = winogradPositions(g.tile);
  return { u: positions * g.cin * g.cout, v: positions * tiles * g.cin, m: positions * tiles * g.cout };
}

export interface WinogradIO {
  /** (batch, inH, inW, cin) */
  x: Binding;
  /** The kernel, HWIO (3, 3, cin, cout); for an input gradient the layer's own kernel (3, 3, cout', cin'), read rotated. */
  w: Binding;
  /** (P, cin, cout), P = winogradPositions: the transformed kernel. */
  u: Binding;
  /** (P, tiles, cin): the transformed input tiles. */
  v: Binding;
  /** (P, tiles, cout): the P products. */
  m: Binding;
  /** (batch, outH, outW, cout) */
  y: Binding;
  /** (cout), added in the output transform. */
  bias?: Binding;
  /** (batch, outH, outW, cout): y = 0 where it is ≤ 0 (the previous layer's ReLU backward). */
  reluOutput?: Binding;
}

export interface WinogradOptions {
  /** The input gradient of a layer: its kernel read rotated by 180°, in and out channels swapped. */
  inputGradient?: boolean;
  /** ReLU in the output transform (forward only). */
  relu?: boolean;
  label?: string;
  /** The matmul's kernel; default: the tuner's choice for the shape. For tests and tuning. */
  matmulKernel?: MatmulKernel;
}

/** The override constants of the tile geometry. */
function tileConstants(g: WinogradGeometry, channels: number) {
  return { N: g.batch, IH: g.inH, IW: g.inW, OH: g.outH, OW: g.outW, PAD_TOP: g.padTop, PAD_LEFT: g.padLeft, C: channels, WG };
}

/** The shader of g's tile size for a transform over `channels` (vec4 where they come in fours). */
const shaderFor = (g: WinogradGeometry, channels: number) => (channelChunk(channels) === 4 ? SHADERS[g.tile].vec4 : SHADERS[g.tile].scalar);

/** A transform of the tiles, one invocation per (tile, chunk of `channels`): 'inputTransform' or 'gradientTransform'. */
function tileTransform(device: Device, g: WinogradGeometry, entryPoint: string, channels: number, from: Binding, to: Binding, label: string): Promise<Dispatch> {
  const code = shaderFor(g, channels);
  return createDispatch(device, { label, code, entryPoint, constants: tileConstants(g, channels) }, [from, to], grid((winogradTiles(g) * channels) / channelChunk(channels), WG));
}

/** The four dispatches: weight transform, input transform, the batched products, output transform. */
export async function winogradConv(device: Device, g: WinogradGeometry, io: WinogradIO, options: WinogradOptions, scratch: Scratch): Promise<Dispatch[]> {
  const label = options.label ?? `winograd F(${g.tile}×${g.tile}) ${g.inH}×${g.inW}×${g.cin} → ${g.outH}×${g.outW}×${g.cout}`;
  if (io.bias && io.reluOutput) throw new Error(`${label}: a bias (forward) and a ReLU mask (input gradient) do not come together`);
  if (options.relu && io.reluOutput) throw new Error(`${label}: relu (forward) and reluOutput (input gradient) do not come together`);
  for (const [what, pad] of [['padTop', g.padTop], ['padLeft', g.padLeft]] as const) {
    if (!(Number.isInteger(pad) && pad >= 0 && pad <= 2)) throw new Error(`${label}: ${what} must be 0, 1 or 2 (got ${pad})`);
  }
  const tiles = winogradTiles(g);
  const flip = Boolean(options.inputGradient);
  // The shader's CIN and COUT are those of the stored kernel: the layer's, swapped for its input gradient.
  const stored = flip ? { CIN: g.cout, COUT: g.cin } : { CIN: g.cin, COUT: g.cout };
  const weights = await createDispatch(
    device,
    { label: `${label} weight transform`, code: SHADERS[g.tile].scalar, entryPoint: 'weightTransform', constants: { ...stored, FLIP: flip, WG } },
    [io.w, io.u],
    grid(g.cin * g.cout, WG),
  );
  const input = await tileTransform(device, g, 'inputTransform', g.cin, io.x, io.v, `${label} input transform`);
  const products = await matmul(
    device,
    { m: tiles, n: g.cout, k: g.cin, batch: winogradPositions(g.tile), kernel: options.matmulKernel, label: `${label} products` },
    { a: io.v, b: io.u, c: io.m },
    scratch,
  );
  // Without a bias or a mask, a 16-byte stand-in fills binding 2 (the shader never reads it).
  const biasOrMask = io.bias ?? io.reluOutput ?? scratch(`${label} no bias`, 16);
  const output = await createDispatch(
    device,
    {
      label: io.reluOutput ? `${label} output transform +relu backward` : `${label} output transform`,
      code: shaderFor(g, g.cout),
      entryPoint: 'outputTransform',
      constants: { ...tileConstants(g, g.cout), HAS_BIAS: io.bias !== undefined, RELU: Boolean(options.relu), RELU_MASK: io.reluOutput !== undefined },
    },
    [io.m, io.y, biasOrMask],
    grid((tiles * g.cout) / channelChunk(g.cout), WG),
  );
  return [weights, input, ...products, output];
}

/**
 * The weight gradient's sum over tiles (K of its products) is cut into this many slices, each
 * its own entry of the batched matmul (which has no split-K: its grid's third dimension is the
 * entry), and the output transform adds them up. As chooseSplitK (./matmul.ts): aim for
 * SPLIT_TARGET_INVOCATIONS blocks of 4×4 outputs, at least SPLIT_MIN_TILES tiles per slice; the
 * slice count divides the tiles, so that the slices are V's and U''s (T / S)-row pieces as stored.
 */
const SPLIT_TARGET_INVOCATIONS = 4096;
const SPLIT_MIN_TILES = 256;

export function weightGradientSplits(g: WinogradGeometry): number {
  const tiles = winogradTiles(g);
  const blocks = winogradPositions(g.tile) * Math.ceil(g.cin / 4) * Math.ceil(g.cout / 4);
  const cap = Math.max(1, Math.min(Math.ceil(SPLIT_TARGET_INVOCATIONS / blocks), Math.floor(tiles / SPLIT_MIN_TILES)));
  for (let splits = cap; splits > 1; splits--) if (tiles % splits === 0) return splits;
  return 1;
}

/** Element counts of the weight gradient's intermediates, P = winogradPositions: V (P, tiles, cin), U' (P, tiles, cout), M (P, splits, cin, cout). */
export function weightGradientSizes(g: WinogradGeometry): { v: number; u: number; m: number } {
  const tiles = winogradTiles(g);
  const positions = winogradPositions(g.tile);
  return { v: positions * tiles * g.cin, u: positions * tiles * g.cout, m: positions * weightGradientSplits(g) * g.cin * g.cout };
}

export interface WinogradWeightGradientIO {
  /** (batch, inH, inW, cin), the forward's input: given, V is computed from it; absent, v holds the forward's V. */
  x?: Binding;
  /** (P, tiles, cin), P = winogradPositions: the forward's transformed input tiles. */
  v: Binding;
  /** (batch, outH, outW, cout): the gradient at the forward's output. */
  dZ: Binding;
  /** (P, tiles, cout): the transformed dZ tiles, U'. */
  u: Binding;
  /** (P, splits, cin, cout): the products, per slice of the tiles. */
  m: Binding;
  /** (3, 3, cin, cout) HWIO: written, not accumulated. */
  dW: Binding;
}

/**
 * The weight gradient of the forward convolution `g` (forwardGeometry): (the input transform,
 * without a given V), the dZ transform, the P products Vᵀ·U' (batched, sliced along the tiles)
 * and the output transform.
 */
export async function winogradWeightGradient(
  device: Device,
  g: WinogradGeometry,
  io: WinogradWeightGradientIO,
  options: { label?: string; matmulKernel?: MatmulKernel },
  scratch: Scratch,
): Promise<Dispatch[]> {
  const label = options.label ?? `winograd F(${g.tile}×${g.tile}) dW ${g.inH}×${g.inW}×${g.cin} → ${g.outH}×${g.outW}×${g.cout}`;
  const tiles = winogradTiles(g);
  const splits = weightGradientSplits(g);
  const input = io.x ? [await tileTransform(device, g, 'inputTransform', g.cin, io.x, io.v, `${label} input transform`)] : [];
  const gradient = await tileTransform(device, g, 'gradientTransform', g.cout, io.dZ, io.u, `${label} gradient transform`);
  // Entry ξ·splits + s: V[ξ]'s and U'[ξ]'s rows s·(tiles / splits) onwards, as stored.
  const products = await matmul(
    device,
    { m: g.cin, n: g.cout, k: tiles / splits, batch: winogradPositions(g.tile) * splits, transA: true, kernel: options.matmulKernel, label: `${label} products` },
    { a: io.v, b: io.u, c: io.m },
    scratch,
  );
  const output = await createDispatch(
    device,
    {
      label: `${label} output transform`,
      code: shaderFor(g, g.cout),
      entryPoint: 'weightGradientOutput',
      constants: { CIN: g.cin, C: g.cout, SPLITS: splits, WG },
    },
    [io.m, io.dW],
    grid((g.cin * g.cout) / channelChunk(g.cout), WG),
  );
  return [...input, gradient, ...products, output];
}
