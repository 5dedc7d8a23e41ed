/**
 * One benchmark case per kernel call: its name and shape as the report prints them, the work
 * it does (FLOPs for compute kernels, the bytes it must move at least for memory-bound ones:
 * every input read once, every output written once), and how to build its dispatches on
 * buffers of its own, through the engine's kernel descriptors.
 */
import type { Device } from '../src/device/device.js';
import { activationBackward, activationForward } from '../src/kernels/activation.js';
import { batchNormBackward, batchNormTrainForward } from '../src/kernels/batchnorm.js';
import { columnSum } from '../src/kernels/column-sum.js';
import { chooseConvAlgorithm, convChain, convChainBuffers } from '../src/kernels/conv-algorithm.js';
import { col2im, im2col, type ConvParams } from '../src/kernels/im2col.js';
import { dropoutForward } from '../src/kernels/dropout.js';
import { matmul } from '../src/kernels/matmul.js';
import { weightGradientSplits, winogradPositions, winogradTiles } from '../src/kernels/winograd.js';
import { encodeHyper, optimizerUpdate } from '../src/kernels/optimizer.js';
import { optimizerStateSlots, withDefaults } from '../src/nn/optimizers.js';
import { avgPoolBackward, avgPoolForward, maxPoolBackward, maxPoolForward, type PoolParams } from '../src/kernels/pool.js';
import { METRICS_LENGTH, softmaxCrossEntropy } from '../src/kernels/softmax.js';
import type { Dispatch } from '../src/runtime/dispatch.js';
import type { Scratch } from '../src/runtime/scratch.js';
import { gemmFlops, type GemmShape, type KernelSpec } from './shapes.js';

export interface KernelCase {
  /** The family, e.g. `matmul`, `im2col`, `max pool backward`, `optimizer`. */
  family: string;
  /** The report's name, e.g. `matmul Aᵀ`, `adam update`. */
  name: string;
  /** The report's shape, e.g. `78400×16×4` (M×N×K) or `100×28×28×1→100×28×28×16`. */
  shape: string;
  /** Where the shape comes from: presets' layers, or `square`. */
  uses: string[];
  flops?: number;
  bytes?: number;
  gemm?: GemmShape;
  spec: KernelSpec;
}

export interface BuiltCase {
  dispatches: Dispatch[];
  buffers: GPUBuffer[];
}

const F32 = 4;
const dims = (...sizes: number[]) => sizes.join('×');
const convIn = (p: ConvParams) => p.batch * p.height * p.width * p.channels;
const colSize = (p: ConvParams) => p.batch * p.outH * p.outW * p.kernelH * p.kernelW * p.channels;
const poolIn = (p: PoolParams) => p.batch * p.height * p.width * p.channels;
const poolOut = (p: PoolParams) => p.batch * p.outH * p.outW * p.channels;

export function gemmName(g: GemmShape): string {
  const parts = ['matmul'];
  if (g.transA) parts.push('Aᵀ');
  if (g.transB) parts.push('Bᵀ');
  if (g.bias) parts.push('+bias');
  if (g.relu) parts.push('+relu');
  if (g.reluMask) parts.push('+relu backward');
  if (g.splitK) parts.push(`split-K ${g.splitK}`);
  if (g.kernel === 'rows8') parts.push('(no-subgroups kernel)');
  if (g.batch) parts.push(`batched ×${g.batch}`);
  return parts.join(' ');
}

/** Name, shape text and work of a kernel call. */
export function describe(spec: KernelSpec, use: string): KernelCase {
  const base = { spec, uses: [use] };
  switch (spec.family) {
    case 'matmul': {
      const g = spec.gemm;
      const shape = `${g.batch ? `${g.batch} × ` : ''}${dims(g.m, g.n, g.k)}`;
      return { ...base, family: 'matmul', name: gemmName(g), shape, flops: gemmFlops(g), gemm: g };
    }
    case 'im2col':
    case 'col2im': {
      const p = spec.conv;
      const x = dims(p.batch, p.height, p.width, p.channels);
      const col = dims(p.batch * p.outH * p.outW, p.kernelH * p.kernelW * p.channels);
      const shape = spec.family === 'im2col' ? `${x}→${col}` : `${col}→${x}`;
      // The masked col2im also reads x, the ReLU's output.
      const masked = spec.family === 'col2im' && spec.reluInput;
      const name = masked ? 'col2im +relu backward' : spec.family;
      return { ...base, family: spec.family, name, shape, bytes: F32 * (convIn(p) * (masked ? 2 : 1) + colSize(p)) };
    }
    case 'max pool forward':
    case 'max pool backward':
    case 'avg pool forward':
    case 'avg pool backward': {
      const p = spec.pool;
      const max = spec.family.startsWith('max');
      const x = dims(p.batch, p.height, p.width, p.channels);
      const y = dims(p.batch, p.outH, p.outW, p.channels);
      const forward = spec.family.endsWith('forward');
      // Max pooling also writes (forward) or reads (backward) the argmax of every output.
      const bytes = F32 * (poolIn(p) + poolOut(p) * (max ? 2 : 1));
      return { ...base, family: spec.family, name: spec.family, shape: forward ? `${x}→${y}` : `${y}→${x}`, bytes };
    }
    case 'conv forward':
    case 'conv input gradient':
    case 'conv weight gradient': {
      // Nominal FLOPs, the im2col form's (2·rows·KH·KW·C·COUT): Winograd's rate is an effective one.
      const p = spec.conv;
      const shape = `${dims(p.batch, p.height, p.width, p.channels)}→${spec.filters} k${p.kernelH}×${p.kernelW} ${p.padding}`;
      const flops = 2 * p.batch * p.outH * p.outW * p.kernelH * p.kernelW * p.channels * spec.filters;
      return { ...base, family: spec.family, name: spec.family, shape, flops };
    }
    case 'winograd transform': {
      // With P = (tile + 2)² positions (16 or 36): weight, 3×3 taps → P positions per (cin, cout);
      // input, the image → P values per (tile, cin); output, P products per (tile, cout) → the
      // image (plus the bias or mask); the weight gradient's: gradient, dZ → P values per (tile,
      // cout); dW output, P products per (slice, cin, cout) → 3×3 taps.
      const g = spec.geometry;
      const tiles = winogradTiles(g);
      const splits = weightGradientSplits(g);
      const P = winogradPositions(g.tile);
      const sizes = {
        weight: [dims(3, 3, g.cin, g.cout), dims(P, g.cin, g.cout), 9 * g.cin * g.cout, P * g.cin * g.cout],
        input: [dims(g.batch, g.inH, g.inW, g.cin), dims(P, tiles, g.cin), g.batch * g.inH * g.inW * g.cin, P * tiles * g.cin],
        output: [dims(P, tiles, g.cout), dims(g.batch, g.outH, g.outW, g.cout), P * tiles * g.cout, g.batch * g.outH * g.outW * g.cout],
        gradient: [dims(g.batch, g.outH, g.outW, g.cout), dims(P, tiles, g.cout), g.batch * g.outH * g.outW * g.cout, P * tiles * g.cout],
        'dW output': [dims(P, splits, g.cin, g.cout), dims(3, 3, g.cin, g.cout), P * splits * g.cin * g.cout, 9 * g.cin * g.cout],
      } as const;
      const [from, to, read, written] = sizes[spec.stage];
      return { ...base, family: spec.family, name: `winograd ${spec.stage} transform`, shape: `${from}→${to}`, bytes: F32 * (read + written) };
    }
    case 'activation forward':
    case 'activation backward': {
      const reads = spec.family === 'activation forward' ? 1 : 2;
      const direction = spec.family.split(' ')[1];
      return { ...base, family: spec.family, name: `${spec.activation} ${direction}`, shape: String(spec.count), bytes: F32 * spec.count * (reads + 1) };
    }
    case 'column sum':
      return { ...base, family: 'column sum', name: 'column sum (bias gradient)', shape: dims(spec.rows, spec.cols), bytes: F32 * (spec.rows * spec.cols + spec.cols) };
    case 'dropout':
      return { ...base, family: 'dropout', name: 'dropout', shape: String(spec.count), bytes: F32 * spec.count * 2 };
    case 'batchnorm forward':
    case 'batchnorm backward': {
      // Forward reads x, writes y; backward reads x and dY, writes dX.
      const tensors = spec.family === 'batchnorm forward' ? 2 : 3;
      return { ...base, family: spec.family, name: spec.family, shape: dims(spec.rows, spec.channels), bytes: F32 * spec.rows * spec.channels * tensors };
    }
    case 'softmax cross-entropy':
      return { ...base, family: 'softmax cross-entropy', name: 'softmax cross-entropy', shape: dims(spec.batch, spec.classes), bytes: F32 * spec.batch * spec.classes * 3 };
    case 'optimizer': {
      // params and state read and written, grads read.
      const slots = optimizerStateSlots({ kind: spec.kind });
      return { ...base, family: 'optimizer', name: `${spec.kind} update`, shape: String(spec.count), bytes: F32 * spec.count * (3 + 2 * slots) };
    }
  }
}

/** The case's dispatches on zero-filled buffers of its own (destroy them when done). */
export async function buildCase(device: Device, c: KernelCase): Promise<BuiltCase> {
  const buffers: GPUBuffer[] = [];
  const buffer = (label: string, floats: number) => {
    const b = device.createBuffer(`bench ${label}`, floats * F32);
    buffers.push(b);
    return b;
  };
  // Kernels' scratch buffers, freed with the case's own.
  const scratch: Scratch = (label, byteSize) => buffer(label, byteSize / F32);
  const spec = c.spec;
  let dispatches: Dispatch[];
  switch (spec.family) {
    case 'matmul': {
      const g = spec.gemm;
      const entries = g.batch ?? 1;
      dispatches = await matmul(
        device,
        { m: g.m, n: g.n, k: g.k, transA: g.transA, transB: g.transB, bias: g.bias, activation: g.relu ? 'relu' : 'linear', reluMask: g.reluMask, splitK: g.splitK, kernel: g.kernel, batch: g.batch, label: `bench ${c.name}` },
        { a: buffer('a', entries * g.m * g.k), b: buffer('b', entries * g.k * g.n), c: buffer('c', entries * g.m * g.n), bias: g.bias ? buffer('bias', g.n) : undefined, mask: g.reluMask ? buffer('mask', entries * g.m * g.n) : undefined },
        scratch,
      );
      break;
    }
    case 'im2col':
      dispatches = [await im2col(device, spec.conv, { x: buffer('x', convIn(spec.conv)), col: buffer('col', colSize(spec.conv)) }, spec.kernel)];
      break;
    case 'col2im':
      dispatches = [
        await col2im(device, spec.conv, {
          dCol: buffer('dCol', colSize(spec.conv)),
          dX: buffer('dX', convIn(spec.conv)),
          reluOutput: spec.reluInput ? buffer('x', convIn(spec.conv)) : undefined,
        }),
      ];
      break;
    case 'max pool forward':
      dispatches = [await maxPoolForward(device, spec.pool, { x: buffer('x', poolIn(spec.pool)), y: buffer('y', poolOut(spec.pool)), argmax: buffer('argmax', poolOut(spec.pool)) })];
      break;
    case 'max pool backward':
      dispatches = [await maxPoolBackward(device, spec.pool, { dY: buffer('dY', poolOut(spec.pool)), argmax: buffer('argmax', poolOut(spec.pool)), dX: buffer('dX', poolIn(spec.pool)) }, spec.kernel)];
      break;
    case 'conv forward':
    case 'conv input gradient':
    case 'conv weight gradient': {
      // The chain the compiled step runs: its matmul and im2col kernels are the tuner's for their shapes.
      const direction = spec.family === 'conv forward' ? 'forward' : spec.family === 'conv input gradient' ? 'input gradient' : 'weight gradient';
      const forward = spec.family === 'conv weight gradient' ? spec.forward : undefined;
      const label = `bench ${c.name}`;
      const algorithm = spec.algorithm ?? (await chooseConvAlgorithm(device, spec.conv, spec.filters, direction, label, forward));
      const chain = convChainBuffers(spec.conv, spec.filters, scratch, label);
      dispatches = await convChain(device, spec.conv, spec.filters, direction, algorithm, chain, scratch, label, false, forward ?? algorithm);
      break;
    }
    case 'winograd transform':
      throw new Error('bench: a Winograd transform is timed within its convolution (the conv forward, input gradient and weight gradient cases), not alone');
    case 'avg pool forward':
      dispatches = [await avgPoolForward(device, spec.pool, { x: buffer('x', poolIn(spec.pool)), y: buffer('y', poolOut(spec.pool)) })];
      break;
    case 'avg pool backward':
      dispatches = [await avgPoolBackward(device, spec.pool, { dY: buffer('dY', poolOut(spec.pool)), dX: buffer('dX', poolIn(spec.pool)) })];
      break;
    case 'activation forward':
      dispatches = [await activationForward(device, spec.activation, spec.count, { x: buffer('x', spec.count), y: buffer('y', spec.count) })];
      break;
    case 'activation backward':
      dispatches = [await activationBackward(device, spec.activation, spec.count, { saved: buffer('y', spec.count), dY: buffer('dY', spec.count), dX: buffer('dX', spec.count) })];
      break;
    case 'column sum':
      dispatches = await columnSum(device, { rows: spec.rows, cols: spec.cols }, { x: buffer('x', spec.rows * spec.cols), out: buffer('out', spec.cols) }, scratch);
      break;
    case 'dropout':
      dispatches = [await dropoutForward(device, spec.count, { rate: spec.rate, layerSeed: 1 }, { stepInfo: buffer('stepInfo', 4), x: buffer('x', spec.count), y: buffer('y', spec.count) })];
      break;
    case 'batchnorm forward': {
      const size = spec.rows * spec.channels;
      dispatches = await batchNormTrainForward(device, { rows: spec.rows, channels: spec.channels }, {}, {
        x: buffer('x', size), gammaBeta: buffer('gammaBeta', 2 * spec.channels), y: buffer('y', size), moving: buffer('moving', 2 * spec.channels), saved: buffer('saved', 2 * spec.channels),
      }, scratch);
      break;
    }
    case 'batchnorm backward': {
      const size = spec.rows * spec.channels;
      dispatches = await batchNormBackward(device, { rows: spec.rows, channels: spec.channels }, {}, {
        x: buffer('x', size), gammaBeta: buffer('gammaBeta', 2 * spec.channels), saved: buffer('saved', 2 * spec.channels), dY: buffer('dY', size), dX: buffer('dX', size), dGammaBeta: buffer('dGammaBeta', 2 * spec.channels),
      }, scratch);
      break;
    }
    case 'softmax cross-entropy': {
      const size = spec.batch * spec.classes;
      dispatches = await softmaxCrossEntropy(device, { batch: spec.batch, classes: spec.classes }, {
        logits: buffer('logits', size), targets: buffer('targets', size), dLogits: buffer('dLogits', size), metrics: buffer('metrics', METRICS_LENGTH),
      }, scratch);
      break;
    }
    case 'optimizer': {
      const config = withDefaults({ kind: spec.kind });
      const hyper = device.upload('bench hyper', encodeHyper(config));
      const stepInfo = device.upload('bench stepInfo', Uint32Array.of(1, 1, 0, 0));
      buffers.push(hyper, stepInfo);
      dispatches = [
        await optimizerUpdate(device, config, { count: spec.count }, {
          params: buffer('params', spec.count), grads: buffer('grads', spec.count), state: buffer('state', optimizerStateSlots({ kind: spec.kind }) * spec.count), hyper, stepInfo,
        }),
      ];
      break;
    }
  }
  return { dispatches, buffers };
}
