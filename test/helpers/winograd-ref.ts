/**
 * Winograd's algorithm in float64, written out here independently of the shaders, for both tile
 * sizes (F(2×2, 3×3) as Lavin & Gray; F(4×4, 3×3) on the points 0, 1, −1, ½, −2, ∞): the forward
 *   y = Aᵀ [Σ_ci (Bᵀ d B) ⊙ (G g Gᵀ)] A        per tile of the output
 * and the weight gradient, F(3×3, tile×tile) on the forward's input tiles,
 *   dW = A'ᵀ [Σ_tiles (Bᵀ d B) ⊙ (G' dZ G'ᵀ)] A'
 * Run on absolute values (`absolute`), each gives every output's sum of the absolute values of
 * all its terms, the scale of a first-order float32 error bound (winogradBound).
 */
import type { WindowParams } from '../../src/kernels/window.js';

const F32_EPS = 2 ** -24; // unit roundoff of float32

interface Matrices {
  BT: number[][]; // (A × A) input transform, A = tile + 2
  G: number[][]; // (A × 3) weight transform
  AT: number[][]; // (tile × A) output transform
  GG: number[][]; // (A × tile) the weight gradient's dZ transform G'
  AGT: number[][]; // (3 × A) the weight gradient's output transform A'ᵀ
}

const transpose = (m: number[][]) => m[0].map((_, j) => m.map((row) => row[j]));

// F(4×4, 3×3) on the points 0, 1, −1, ½, −2, ∞: Aᵀ's columns are the points' powers, G's rows
// their powers over the product of their differences from the other finite points.
const AT4 = [
  [1, 1, 1, 1, 1, 0],
  [0, 1, -1, 1 / 2, -2, 0],
  [0, 1, 1, 1 / 4, 4, 0],
  [0, 1, -1, 1 / 8, -8, 1],
];
const G4 = [
  [1, 0, 0],
  [1 / 3, 1 / 3, 1 / 3],
  [-1 / 3, 1 / 3, -1 / 3],
  [-16 / 15, -8 / 15, -4 / 15],
  [1 / 15, -2 / 15, 4 / 15],
  [0, 0, 1],
];

export const WINOGRAD_MATRICES: Record<2 | 4, Matrices> = {
  2: {
    BT: [
      [1, 0, -1, 0],
      [0, 1, 1, 0],
      [0, -1, 1, 0],
      [0, 1, 0, -1],
    ],
    G: [
      [1, 0, 0],
      [0.5, 0.5, 0.5],
      [0.5, -0.5, 0.5],
      [0, 0, 1],
    ],
    AT: [
      [1, 1, 1, 0],
      [0, 1, -1, -1],
    ],
    // A with G's halves, and Gᵀ without them.
    GG: [
      [1, 0],
      [0.5, 0.5],
      [0.5, -0.5],
      [0, -1],
    ],
    AGT: [
      [1, 1, 1, 0],
      [0, 1, -1, 0],
      [0, 1, 1, 1],
    ],
  },
  4: {
    BT: [
      [1, -3 / 2, -2, 3 / 2, 1, 0],
      [0, -1, 1 / 2, 5 / 2, 1, 0],
      [0, 1, -5 / 2, 1 / 2, 1, 0],
      [0, -2, -1, 2, 1, 0],
      [0, 1 / 2, -1, -1 / 2, 1, 0],
      [0, 1, -3 / 2, -2, 3 / 2, 1],
    ],
    G: G4,
    AT: AT4,
    GG: transpose(AT4),
    AGT: transpose(G4),
  },
};

/** L · X · Rᵀ for small dense matrices. */
function sandwich(l: number[][], x: ArrayLike<number>[], r: number[][]): number[][] {
  const lx = l.map((row) => Array.from(x[0], (_, j) => row.reduce((s, v, k) => s + v * x[k][j], 0)));
  return lx.map((row) => r.map((rRow) => row.reduce((s, v, k) => s + v * rRow[k], 0)));
}

function matricesFor(tile: 2 | 4, absolute: boolean): Matrices {
  const m = WINOGRAD_MATRICES[tile];
  if (!absolute) return m;
  const abs = (a: number[][]) => a.map((row) => row.map(Math.abs));
  return { BT: abs(m.BT), G: abs(m.G), AT: abs(m.AT), GG: abs(m.GG), AGT: abs(m.AGT) };
}

/** Calls visit(n, row0, col0) for each tile of the output: its top-left output pixel. */
function forEachTile(p: WindowParams, tile: number, visit: (n: number, row0: number, col0: number) => void): void {
  for (let n = 0; n < p.batch; n++) {
    for (let row0 = 0; row0 < p.outH; row0 += tile) for (let col0 = 0; col0 < p.outW; col0 += tile) visit(n, row0, col0);
  }
}

/** The transformed input tiles V = Bᵀ d B of tile (n, row0, col0), per input channel. */
function inputTiles(x: ArrayLike<number>, p: WindowParams, m: Matrices, n: number, row0: number, col0: number, absolute: boolean): number[][][] {
  const side = m.BT.length;
  const at = (r: number, c: number, ci: number) => {
    const row = row0 + r - p.padTop;
    const col = col0 + c - p.padLeft;
    const value = row < 0 || row >= p.height || col < 0 || col >= p.width ? 0 : x[((n * p.height + row) * p.width + col) * p.channels + ci];
    return absolute ? Math.abs(value) : value;
  };
  const lines = [...Array(side).keys()];
  return Array.from({ length: p.channels }, (_, ci) => sandwich(m.BT, lines.map((r) => lines.map((c) => at(r, c, ci))), m.BT));
}

/** y (N, OH, OW, cout) = conv(x, w) by Winograd with the given tile, in float64 (absolute values: see the file's comment). */
export function winogradForwardRef(x: ArrayLike<number>, w: ArrayLike<number>, p: WindowParams, cout: number, tile: 2 | 4, absolute = false): Float64Array {
  const m = matricesFor(tile, absolute);
  const side = m.BT.length;
  const cin = p.channels;
  const kernel = (ci: number, co: number) =>
    [0, 1, 2].map((kh) => [0, 1, 2].map((kw) => (absolute ? Math.abs : Number)(w[((kh * 3 + kw) * cin + ci) * cout + co])));
  const u = Array.from({ length: cin * cout }, (_, i) => sandwich(m.G, kernel(Math.floor(i / cout), i % cout), m.G));
  const y = new Float64Array(p.batch * p.outH * p.outW * cout);
  forEachTile(p, tile, (n, row0, col0) => {
    const v = inputTiles(x, p, m, n, row0, col0, absolute);
    for (let co = 0; co < cout; co++) {
      const product = Array.from({ length: side }, (_, i) => Array.from({ length: side }, (_, j) => v.reduce((s, vc, ci) => s + vc[i][j] * u[ci * cout + co][i][j], 0)));
      const out = sandwich(m.AT, product, m.AT);
      for (let r = 0; r < tile && row0 + r < p.outH; r++) {
        for (let c = 0; c < tile && col0 + c < p.outW; c++) y[((n * p.outH + row0 + r) * p.outW + col0 + c) * cout + co] = out[r][c];
      }
    }
  });
  return y;
}

/** dW (3, 3, cin, cout) of conv(x, ·) for output gradient dZ, by Winograd F(3×3, tile×tile), in float64 (absolute values: see the file's comment). */
export function winogradWeightGradientRef(x: ArrayLike<number>, dZ: ArrayLike<number>, p: WindowParams, cout: number, tile: 2 | 4, absolute = false): Float64Array {
  const m = matricesFor(tile, absolute);
  const side = m.BT.length;
  const cin = p.channels;
  const sums = Array.from({ length: cin * cout }, () => Array.from({ length: side }, () => new Float64Array(side)));
  forEachTile(p, tile, (n, row0, col0) => {
    const v = inputTiles(x, p, m, n, row0, col0, absolute);
    const grad = (r: number, c: number, co: number) => {
      const value = row0 + r >= p.outH || col0 + c >= p.outW ? 0 : dZ[((n * p.outH + row0 + r) * p.outW + col0 + c) * cout + co];
      return absolute ? Math.abs(value) : value;
    };
    const lines = [...Array(tile).keys()];
    const u = Array.from({ length: cout }, (_, co) => sandwich(m.GG, lines.map((r) => lines.map((c) => grad(r, c, co))), m.GG));
    for (let ci = 0; ci < cin; ci++) {
      for (let co = 0; co < cout; co++) {
        for (let i = 0; i < side; i++) for (let j = 0; j < side; j++) sums[ci * cout + co][i][j] += v[ci][i][j] * u[co][i][j];
      }
    }
  });
  const dW = new Float64Array(9 * cin * cout);
  sums.forEach((product, at) => {
    const out = sandwich(m.AGT, product, m.AGT);
    for (let kh = 0; kh < 3; kh++) for (let kw = 0; kw < 3; kw++) dW[(kh * 3 + kw) * cin * cout + at] = out[kh][kw];
  });
  return dW;
}

/**
 * A first-order float32 error bound for outputs whose terms' absolute values sum to at most
 * `scale` (the largest entry of a reference run on absolute values): each term is rounded at most
 * `roundings` times on its way (the transforms' additions and multiplications by inexact
 * constants, the product, the sum over `summed` channels or tiles), and each rounding moves it by
 * at most u = 2⁻²⁴ of its size.
 */
export function winogradBound(absoluteRef: Float64Array, roundings: number): { atol: number } {
  let scale = 0;
  for (const v of absoluteRef) scale = Math.max(scale, v);
  return { atol: roundings * scale * F32_EPS };
}
