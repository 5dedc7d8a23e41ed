import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/batches.js';
import { checkInitializer, initialize, type Initializer } from '../../src/nn/initializers.js';
import { layers } from '../../src/index.js';

const COUNT = 200_000;

function stats(values: Float32Array): { mean: number; std: number; maxAbs: number } {
  let sum = 0;
  let squares = 0;
  let maxAbs = 0;
  for (const v of values) {
    sum += v;
    squares += v * v;
    maxAbs = Math.max(maxAbs, Math.abs(v));
  }
  const mean = sum / values.length;
  return { mean, std: Math.sqrt(squares / values.length - mean * mean), maxAbs };
}

describe('initializers', () => {
  // Keras' VarianceScaling: the standard deviation sqrt(scale / n), n = fan_in or the mean of
  // fan_in and fan_out; uniform draws lie within sqrt(3)·std, truncated normals within 2 of
  // their pre-truncation std (std / 0.8796). With 200,000 draws the sample std is within
  // about 0.3% of the true one (its relative standard error is 1/sqrt(2·COUNT)); 2% allows
  // for that with a wide margin but fails for any wrong scale or fan.
  const fanIn = 9 * 3;
  const fanOut = 9 * 8;
  const cases: [Initializer, number, number][] = [
    ['glorotUniform', Math.sqrt(2 / (fanIn + fanOut)), Math.sqrt(6 / (fanIn + fanOut))],
    ['glorotNormal', Math.sqrt(2 / (fanIn + fanOut)), (2 * Math.sqrt(2 / (fanIn + fanOut))) / 0.87962566103423978],
    ['heUniform', Math.sqrt(2 / fanIn), Math.sqrt(6 / fanIn)],
    ['heNormal', Math.sqrt(2 / fanIn), (2 * Math.sqrt(2 / fanIn)) / 0.87962566103423978],
    ['lecunUniform', Math.sqrt(1 / fanIn), Math.sqrt(3 / fanIn)],
    ['lecunNormal', Math.sqrt(1 / fanIn), (2 * Math.sqrt(1 / fanIn)) / 0.87962566103423978],
    [{ kind: 'varianceScaling', scale: 0.5, mode: 'fanOut', distribution: 'uniform' }, Math.sqrt(0.5 / fanOut), Math.sqrt(1.5 / fanOut)],
    [{ kind: 'varianceScaling', scale: 3, mode: 'fanAvg', distribution: 'truncatedNormal' }, Math.sqrt(6 / (fanIn + fanOut)), (2 * Math.sqrt(6 / (fanIn + fanOut))) / 0.87962566103423978],
    // Untruncated: a normal's 200,000 draws reach past 4 standard deviations (P(|z| > 4) ≈ 6e-5 each).
    [{ kind: 'varianceScaling', scale: 2, mode: 'fanIn', distribution: 'untruncatedNormal' }, Math.sqrt(2 / fanIn), Infinity],
  ];
  for (const [kind, std, bound] of cases) {
    it(`${JSON.stringify(kind)}: mean 0, Keras' standard deviation, within its bound`, () => {
      const s = stats(initialize(kind, [COUNT], fanIn, fanOut, createRng(7)));
      expect(Math.abs(s.mean)).toBeLessThan(0.01 * std);
      expect(Math.abs(s.std / std - 1)).toBeLessThan(0.02);
      expect(s.maxAbs).toBeLessThanOrEqual(bound * (1 + 1e-6));
      // The draws reach close to the bound: a narrower distribution would not.
      expect(s.maxAbs).toBeGreaterThan(bound === Infinity ? 4 * std : 0.95 * bound);
    });
  }

  // Keras' RandomNormal, RandomUniform and TruncatedNormal (cut at 2 stddev, not widened: its
  // standard deviation is 0.8796·stddev), whatever the fans.
  const shifted: [Initializer, number, number, number, number][] = [
    [{ kind: 'randomNormal', mean: 0.5, stddev: 0.02 }, 0.5, 0.02, -Infinity, Infinity],
    [{ kind: 'randomUniform', minval: -0.01, maxval: 0.03 }, 0.01, 0.04 / Math.sqrt(12), -0.01, 0.03],
    [{ kind: 'truncatedNormal', mean: -1, stddev: 0.1 }, -1, 0.1 * 0.87962566103423978, -1.2, -0.8],
  ];
  for (const [kind, mean, std, lo, hi] of shifted) {
    it(`${JSON.stringify(kind)}: Keras' mean and standard deviation, within [${lo}, ${hi}]`, () => {
      const values = initialize(kind, [COUNT], fanIn, fanOut, createRng(8));
      const s = stats(values);
      const [min, max] = values.reduce(([a, b], v) => [Math.min(a, v), Math.max(b, v)], [Infinity, -Infinity]);
      expect(Math.abs(s.mean - mean)).toBeLessThan(0.01 * std);
      expect(Math.abs(s.std / std - 1)).toBeLessThan(0.02);
      expect(min).toBeGreaterThanOrEqual(Math.fround(lo));
      expect(max).toBeLessThanOrEqual(Math.fround(hi));
      // The draws reach close to the lower bound: a narrower distribution would not.
      if (Number.isFinite(lo)) expect(min).toBeLessThan(lo + 0.01 * (hi - lo));
    });
  }

  it('constant', () => {
    expect(initialize({ kind: 'constant', value: 0.1 }, [4], 1, 1, createRng(1))).toEqual(new Float32Array(4).fill(0.1));
  });

  it('refuses a misspelt name, an unknown kind, a missing or wrong argument, naming the layer and argument', () => {
    expect(() => checkInitializer('Dense: kernelInitializer', 'heNormale')).toThrow(/Dense: kernelInitializer: unknown initializer 'heNormale' \(supported: glorotUniform, .*lecunNormal/);
    expect(() => checkInitializer('Dense: kernelInitializer', { kind: 'glorot' })).toThrow(/expected an initializer name or \{ kind: varianceScaling \| randomNormal/);
    expect(() => checkInitializer('Dense: kernelInitializer', { kind: 'orthogonal' })).toThrow(/Dense: kernelInitializer: orthogonal gain must be a finite number, got undefined/);
    expect(() => checkInitializer('Conv2D: biasInitializer', { kind: 'randomNormal', mean: 0 })).toThrow(/Conv2D: biasInitializer: randomNormal stddev must be a non-negative number, got undefined/);
    expect(() => checkInitializer('x', { kind: 'randomNormal', mean: 0, stddev: 1, seed: 3 })).toThrow(/randomNormal has no argument 'seed' \(it takes mean, stddev\)/);
    expect(() => checkInitializer('x', { kind: 'varianceScaling', scale: 0, mode: 'fanIn', distribution: 'uniform' })).toThrow(/scale must be a positive number, got 0/);
    expect(() => checkInitializer('x', { kind: 'varianceScaling', scale: 1, mode: 'fan_in', distribution: 'uniform' })).toThrow(/mode must be fanIn, fanOut or fanAvg, got "fan_in"/);
    expect(() => checkInitializer('x', { kind: 'constant', value: NaN })).toThrow(/constant value must be a finite number, got null/);
    expect(() => checkInitializer('x', null)).toThrow(/expected an initializer name/);
  });

  // Keras' Orthogonal: the weights as a (values / last axis, last axis) matrix W with
  // orthonormal columns (WᵀW = gain²·I) where it has at least as many rows, else orthonormal
  // rows (WWᵀ = gain²·I); a conv kernel HWIO is (kh·kw·cin, cout).
  const orthogonalShapes = [[5, 3], [3, 5], [7, 7], [1, 4], [3, 3, 2, 4], [3, 3, 1, 16], [784, 10]];
  for (const shape of orthogonalShapes) {
    it(`orthogonal on [${shape}]: gain² times the identity as WᵀW or WWᵀ`, () => {
      const gain = 1.5;
      const w = initialize({ kind: 'orthogonal', gain }, shape, 1, 1, createRng(3));
      const cols = shape[shape.length - 1];
      const rows = w.length / cols;
      // Products of the shorter side's vectors: columns where rows ≥ cols, else rows.
      const [count, length, at] = rows >= cols ? [cols, rows, (v: number, i: number) => w[i * cols + v]] : [rows, cols, (v: number, i: number) => w[v * cols + i]];
      for (let a = 0; a < count; a++) {
        for (let b = 0; b < count; b++) {
          let dot = 0;
          for (let i = 0; i < length; i++) dot += at(a, i) * at(b, i);
          // float32 values, float64 sums: a few float32 ulps.
          expect(Math.abs(dot - (a === b ? gain * gain : 0))).toBeLessThan(1e-5);
        }
      }
      // Random: another seed gives another matrix.
      expect(initialize({ kind: 'orthogonal', gain }, shape, 1, 1, createRng(4))).not.toEqual(w);
    });
  }

  it('orthogonal draws are spread as a random rotation: each value of a 64×64 one has variance 1/64', () => {
    const w = initialize({ kind: 'orthogonal', gain: 1 }, [64, 64], 1, 1, createRng(5));
    const s = stats(w);
    // 4096 values, each of mean 0 and variance 1/64 under the Haar measure.
    expect(Math.abs(s.mean)).toBeLessThan(0.01);
    expect(Math.abs(s.std * 8 - 1)).toBeLessThan(0.05);
  });

  it("identity: gain on the diagonal of a 2-D kernel, square or not (Keras' eye(rows, cols))", () => {
    expect(Array.from(initialize({ kind: 'identity', gain: 2 }, [2, 3], 1, 1, createRng(1)))).toEqual([2, 0, 0, 0, 2, 0]);
    expect(Array.from(initialize({ kind: 'identity', gain: 1 }, [3, 2], 1, 1, createRng(1)))).toEqual([1, 0, 0, 1, 0, 0]);
  });

  it('orthogonal and identity are refused where Keras refuses them: a bias, a conv kernel for identity', () => {
    expect(() => layers.dense({ units: 3, biasInitializer: { kind: 'orthogonal', gain: 1 } })).toThrow(/Dense: biasInitializer: orthogonal initializes weights of 2 or more axes \(kernels\), not of 1/);
    expect(() => layers.conv2d({ filters: 3, kernelSize: 3, kernelInitializer: { kind: 'identity', gain: 1 } })).toThrow(/Conv2D: kernelInitializer: identity initializes 2-D weights \(a Dense kernel\), not of 4 axes/);
    expect(() => initialize({ kind: 'identity', gain: 1 }, [3, 3, 1, 2], 1, 1, createRng(1))).toThrow(/identity initializes 2-D weights/);
    expect(() => layers.conv2d({ filters: 3, kernelSize: 3, kernelInitializer: { kind: 'orthogonal', gain: 1 } })).not.toThrow();
  });

  it('zeros and ones', () => {
    expect(initialize('zeros', [5], 1, 1, createRng(1))).toEqual(new Float32Array(5));
    expect(initialize('ones', [5], 1, 1, createRng(1))).toEqual(new Float32Array(5).fill(1));
  });
});
