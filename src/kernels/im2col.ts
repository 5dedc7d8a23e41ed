/**
 * Convolution data movement: im2col (forward) and col2im (its adjoint, the backward to the
 * input); the output geometry is src/kernels/window.ts'. The convolution itself is a matmul:
 *   y = col × W        col: (N*OH*OW, KH*KW*C), W: HWIO (KH, KW, C, COUT) as (KH*KW*C, COUT)
 *   dW = colᵀ × dY,  dCol = dY × Wᵀ,  dX = col2im(dCol).
 */
import im2colCode from '../../shaders/im2col.wgsl';
import windowCode from '../../shaders/window.wgsl';
import type { Device } from '../device/device.js';
import { createDispatch, grid, type Binding, type Dispatch } from '../runtime/dispatch.js';
import { ScratchOwner } from '../runtime/scratch.js';
import { chooseCandidate, tuningKey } from '../runtime/tuner.js';
import { channelChunk, windowConstants, windowKey, withChunkBlock, type WindowParams } from './window.js';

// The kernel's text is its own file followed by the shared window helpers.
const code = `${im2colCode}\n${windowCode}`;

/** Everything an im2col/col2im dispatch needs (the window geometry with batch and channels). */
export type ConvParams = WindowParams;

const WG = 256;

const vec4Code = withChunkBlock(code, 'alias Chunk = vec4f;\nconst CHUNK = 4u;');

function shaderFor(p: ConvParams): string {
  return channelChunk(p.channels) === 4 ? vec4Code : code;
}

/**
 * im2col's candidates, chosen per shape by src/runtime/tuner.ts: 'chunks', one chunk of
 * channels (a value, or a vec4 where 4 divides C) per invocation, any shape; 'fours', four
 * values of a row of col per invocation stored as one vec4 (im2colFour in the shader), for a
 * channel count that 4 does not divide but a row width KH·KW·C that it does (a one-channel
 * image under a 2×2 window).
 */
export const IM2COL_KERNELS = ['chunks', 'fours'] as const;
export type Im2colKernel = (typeof IM2COL_KERNELS)[number];

/** The candidates that can run this shape. */
export function im2colCandidates(p: ConvParams): Im2colKernel[] {
  return channelChunk(p.channels) === 1 && (p.kernelH * p.kernelW * p.channels) % 4 === 0 ? ['chunks', 'fours'] : ['chunks'];
}

/**
 * The untimed default: 'fours' where it applies. Measured on SwiftShader (2026-11-27, a loaded
 * machine, side by side): mnist-conv3's first layer (100×28×28×1, 2×2 same) 15–26 ms against
 * 22–34 with 'chunks', 12–19 against 24–28 at batch 64.
 */
export function defaultIm2col(p: ConvParams): Im2colKernel {
  return im2colCandidates(p).includes('fours') ? 'fours' : 'chunks';
}

/** Every shader text im2col and col2im dispatch (the conv algorithm's chains run both). */
export const IM2COL_SHADERS: readonly string[] = [code, vec4Code];

/** The cache key of im2col's choice for a shape. */
export function im2colTuningKey(p: ConvParams): string {
  return tuningKey('im2col', IM2COL_SHADERS, `${p.batch}×${p.height}×${p.width}×${p.channels} ${windowKey(p)}`);
}

/**
 * col[(n*OH + oh)*OW + ow, (kh*KW + kw)*C + c] = x[n, oh*SH - padTop + kh*DH, ow*SW - padLeft + kw*DW, c],
 * 0 in the padding (DH, DW: the dilation). `kernel` forces a candidate (tests, bench); otherwise the tuner picks one.
 *   x: (N, H, W, C)   col: (N*OH*OW, KH*KW*C)
 */
export async function im2col(device: Device, p: ConvParams, io: { x: Binding; col: Binding }, kernel?: Im2colKernel): Promise<Dispatch> {
  const candidates = im2colCandidates(p);
  const chosen = kernel ?? (await tunedIm2col(device, p, candidates));
  if (!candidates.includes(chosen)) throw new Error(`im2col: the fours kernel needs C % 4 != 0 and KH·KW·C % 4 == 0 (C = ${p.channels}, KH·KW·C = ${p.kernelH * p.kernelW * p.channels})`);
  const values = p.batch * p.outH * p.outW * p.kernelH * p.kernelW * p.channels;
  const fours = chosen === 'fours';
  return createDispatch(
    device,
    { label: 'im2col', code: shaderFor(p), entryPoint: fours ? 'im2colFour' : 'im2col', constants: windowConstants(p, WG) },
    [io.x, io.col],
    grid(values / (fours ? 4 : channelChunk(p.channels)), WG),
  );
}

/** The candidate for this shape by device.kernelChoices' mode, timed on zero-filled scratch buffers. */
function tunedIm2col(device: Device, p: ConvParams, candidates: Im2colKernel[]): Promise<Im2colKernel> {
  return chooseCandidate(device, {
    key: im2colTuningKey(p),
    candidates,
    fallback: defaultIm2col(p),
    async prepare() {
      const owner = new ScratchOwner(device);
      const buffers = {
        x: owner.scratch('im2col tuning x', p.batch * p.height * p.width * p.channels * 4),
        col: owner.scratch('im2col tuning col', p.batch * p.outH * p.outW * p.kernelH * p.kernelW * p.channels * 4),
      };
      return {
        build: async (candidate) => [await im2col(device, p, buffers, candidate)],
        dispose: () => owner.destroy(),
      };
    },
  });
}

/**
 * The adjoint of im2col: dX[n, h, w, c] = Σ dCol over every entry im2col copied from x[n, h, w, c].
 * Writes every element of dX (0 where no window reaches), so dX needs no clearing. With
 * `reluOutput` (x itself, the output of a ReLU), it also applies that ReLU's backward: dX = 0
 * where x ≤ 0.
 *   dCol: (N*OH*OW, KH*KW*C)   dX: (N, H, W, C)   reluOutput: (N, H, W, C)
 */
export function col2im(device: Device, p: ConvParams, io: { dCol: Binding; dX: Binding; reluOutput?: Binding }): Promise<Dispatch> {
  const chunks = (p.batch * p.height * p.width * p.channels) / channelChunk(p.channels);
  const masked = io.reluOutput !== undefined;
  return createDispatch(
    device,
    { label: masked ? 'col2im +relu backward' : 'col2im', code: shaderFor(p), entryPoint: masked ? 'col2imReluMasked' : 'col2im', constants: windowConstants(p, WG) },
    io.reluOutput ? [io.dCol, io.dX, io.reluOutput] : [io.dCol, io.dX],
    grid(chunks, WG),
  );
}
