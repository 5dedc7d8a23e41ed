import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { affineTransform, FILL_MODES, INTERPOLATIONS, sampleTransforms, type ImageShape, type TransformDraw } from '../../src/kernels/affine-transform.js';
import { affineTransformRef, flipMatrix, rotationMatrix, sampleTransformsRef, translationMatrix, zoomMatrix } from '../../src/reference/affine-transform.js';
import { runDispatches } from '../../src/runtime/dispatch.js';
import type { Device } from '../../src/device/device.js';
import { expectClose, randomFloats } from '../helpers/gpu.js';
import { testDevice } from '../helpers/gpu.js';

// keras.ops.image.affine_transform (Keras 3.15.1, JAX) on fixed images and maps, each fill
// mode and interpolation, and the maps Keras' layers build from given draws
// (test/fixtures/keras-files/generate.py, "affine-transforms").
const keras = JSON.parse(readFileSync(new URL('../fixtures/keras-files/expected.json', import.meta.url), 'utf8'))['affine-transforms'];
const [kerasBatch, kerasHeight, kerasWidth, kerasChannels] = keras.shape as number[];
const kerasShape: ImageShape = { batch: kerasBatch, height: kerasHeight, width: kerasWidth, channels: kerasChannels };
const kerasMatrices = Float32Array.from((keras.matrices as number[][]).flat());

// Keras and the GPU find each tap's coordinates in float32 (|coordinate| < 16 here: an error
// of a few ulps, < 4e-6), which moves a bilinear value by at most that times the difference of
// neighbouring pixels (< 2): 1e-5 bounds it. The float64 reference has the exact coordinates.
const SAMPLING = { atol: 1e-5 };
// sin, cos and the map's products in float32 on the GPU, the map's offsets up to ~30.
const MAP = { atol: 1e-5, rtol: 1e-5 };

async function transformOnGpu(device: Device, x: Float32Array, shape: ImageShape, transforms: Float32Array, fill: Parameters<typeof affineTransform>[2]): Promise<Float32Array> {
  const xBuf = device.upload('x', x);
  const tBuf = device.upload('transforms', transforms);
  const yBuf = device.createBuffer('y', x.length * 4);
  await runDispatches(device, [await affineTransform(device, shape, fill, { x: xBuf, transforms: tBuf, y: yBuf })]);
  const y = await device.readFloats(yBuf, 0, x.length);
  for (const b of [xBuf, tBuf, yBuf]) b.destroy();
  return y;
}

async function drawOnGpu(device: Device, shape: ImageShape, draw: TransformDraw, layerSeed: number, step: number, seed: number): Promise<Float32Array> {
  const info = device.upload('stepInfo', new Uint32Array([step, seed, 0, 0]));
  const tBuf = device.createBuffer('transforms', shape.batch * 8 * 4);
  await runDispatches(device, [await sampleTransforms(device, shape, draw, layerSeed, { stepInfo: info, transforms: tBuf })]);
  const t = await device.readFloats(tBuf, 0, shape.batch * 8);
  for (const b of [info, tBuf]) b.destroy();
  return t;
}

describe('affine transform reference vs Keras', () => {
  it("builds Keras' maps for a rotation, a zoom and a translation", () => {
    const { rotation, zoom, translation } = keras.draws;
    expectClose(rotationMatrix((rotation.degrees * Math.PI) / 180, kerasHeight, kerasWidth), rotation.matrix, { atol: 1e-6 }, 'rotation');
    expectClose(zoomMatrix(zoom.height, zoom.width, kerasHeight, kerasWidth), zoom.matrix, { atol: 1e-6 }, 'zoom');
    expectClose(translationMatrix(translation.x, translation.y), translation.matrix, { atol: 1e-6 }, 'translation');
  });

  for (const c of keras.cases as { fill_mode: string; interpolation: string; fill_value: number; output: number[] }[]) {
    it(`samples as keras.ops.image.affine_transform: fill ${c.fill_mode}, ${c.interpolation}`, () => {
      const fill = { mode: c.fill_mode as never, value: c.fill_value, interpolation: c.interpolation as never };
      expectClose(affineTransformRef(keras.images, kerasShape, kerasMatrices, fill), c.output, SAMPLING, `${c.fill_mode} ${c.interpolation}`);
    });
  }
});

describe('flips vs Keras', () => {
  const flips = keras.flips as boolean[];
  for (const c of keras.flip_cases as { mode: string; output: number[] }[]) {
    const [columns, rows] = [c.mode !== 'vertical', c.mode !== 'horizontal'];
    const maps = Float32Array.from(flips.flatMap((flip) => flipMatrix(flip && columns, flip && rows, kerasHeight, kerasWidth)));
    it(`RandomFlip('${c.mode}'): the reference and the GPU give Keras' output exactly, through either interpolation`, async () => {
      const device = await testDevice();
      for (const interpolation of INTERPOLATIONS) {
        const fill = { mode: 'nearest' as const, value: 0, interpolation };
        expect(Array.from(affineTransformRef(keras.images, kerasShape, maps, fill)), `reference, ${interpolation}`).toEqual(c.output);
        expect(Array.from(await transformOnGpu(device, Float32Array.from(keras.images), kerasShape, maps, fill)), `GPU, ${interpolation}`).toEqual(c.output);
      }
    });
  }
});

describe('affine transform kernels vs reference', () => {
  for (const c of keras.cases as { fill_mode: string; interpolation: string; fill_value: number; output: number[] }[]) {
    it(`GPU matches Keras' output: fill ${c.fill_mode}, ${c.interpolation}`, async () => {
      const device = await testDevice();
      const fill = { mode: c.fill_mode as never, value: c.fill_value, interpolation: c.interpolation as never };
      expectClose(await transformOnGpu(device, Float32Array.from(keras.images), kerasShape, kerasMatrices, fill), c.output, SAMPLING, 'GPU vs Keras');
    });
  }

  // [batch, height, width, channels]: odd sizes, one pixel wide, MNIST's, colour.
  const shapes: [number, number, number, number][] = [
    [2, 5, 3, 1],
    [3, 1, 7, 2],
    [4, 28, 28, 1],
    [2, 11, 6, 3],
  ];
  const draws: TransformDraw[] = [
    { kind: 'rotation', radians: [-0.7, 0.7] },
    { kind: 'zoom', height: [0.7, 1.4], width: [0.8, 1.3] },
    { kind: 'zoom', height: [0.5, 1.5] },
    { kind: 'translation', height: [-0.3, 0.3], width: [-0.2, 0.5] },
    { kind: 'flip', columns: true, rows: false },
    { kind: 'flip', columns: true, rows: true },
  ];
  for (const [batch, height, width, channels] of shapes) {
    const shape = { batch, height, width, channels };
    it(`draws the reference's maps and samples through them: ${batch}×${height}×${width}×${channels}`, async () => {
      const device = await testDevice();
      const x = randomFloats(batch * height * width * channels, height * 31 + width, -1, 1);
      for (const [k, draw] of draws.entries()) {
        const [layerSeed, step, seed] = [k * 977 + 5, 3 + k, 0xc0ffee];
        const maps = await drawOnGpu(device, shape, draw, layerSeed, step, seed);
        expectClose(maps, sampleTransformsRef(shape, draw, layerSeed, step, seed), MAP, `${draw.kind} maps`);
        const mode = FILL_MODES[k % FILL_MODES.length];
        for (const interpolation of INTERPOLATIONS) {
          const fill = { mode, value: -0.5, interpolation };
          // The GPU's float32 maps, as the layer's second pass reads them.
          expectClose(await transformOnGpu(device, x, shape, maps, fill), affineTransformRef(x, shape, maps, fill), SAMPLING, `${draw.kind} ${mode} ${interpolation}`);
        }
      }
    });
  }

  it('draws uniformly within the range, differently per sample, step and layer', async () => {
    const device = await testDevice();
    const shape = { batch: 4096, height: 10, width: 20, channels: 1 };
    const draw: TransformDraw = { kind: 'translation', height: [-0.1, 0.3], width: [0.2, 0.4] };
    const maps = await drawOnGpu(device, shape, draw, 7, 1, 2);
    // Column 5 is −dy = −draw·height, column 2 is −dx = −draw·width.
    const dy = Array.from({ length: shape.batch }, (_, n) => -maps[8 * n + 5] / shape.height);
    const dx = Array.from({ length: shape.batch }, (_, n) => -maps[8 * n + 2] / shape.width);
    for (const [values, [low, high], what] of [[dy, draw.height, 'height'], [dx, draw.width, 'width']] as const) {
      expect(Math.min(...values), `${what} min`).toBeGreaterThanOrEqual(low - 1e-6);
      expect(Math.max(...values), `${what} max`).toBeLessThan(high + 1e-6);
      // Mean of n uniforms: σ = (high − low)/√(12n); within 5σ of the middle.
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      expect(Math.abs(mean - (low + high) / 2), `${what} mean`).toBeLessThan((5 * (high - low)) / Math.sqrt(12 * values.length));
      expect(new Set(values).size, `${what}: distinct draws`).toBeGreaterThan(values.length * 0.99);
    }
    const other = [await drawOnGpu(device, shape, draw, 7, 2, 2), await drawOnGpu(device, shape, draw, 8, 1, 2)];
    for (const [i, o] of other.entries()) expect(o.filter((v, j) => j % 8 === 5 && v === maps[j]).length, `stream ${i} repeats the first`).toBeLessThan(10);
  });
});
