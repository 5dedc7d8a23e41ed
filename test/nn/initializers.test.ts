import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/batches.js';
import { initialize, type Initializer } from '../../src/nn/initializers.js';

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
  ];
  for (const [kind, std, bound] of cases) {
    it(`${kind}: mean 0, Keras' standard deviation, within its bound`, () => {
      const s = stats(initialize(kind, COUNT, fanIn, fanOut, createRng(7)));
      expect(Math.abs(s.mean)).toBeLessThan(0.01 * std);
      expect(Math.abs(s.std / std - 1)).toBeLessThan(0.02);
      expect(s.maxAbs).toBeLessThanOrEqual(bound * (1 + 1e-6));
      // The draws reach close to the bound: a narrower distribution would not.
      expect(s.maxAbs).toBeGreaterThan(0.95 * bound);
    });
  }

  it('zeros and ones', () => {
    expect(initialize('zeros', 5, 1, 1, createRng(1))).toEqual(new Float32Array(5));
    expect(initialize('ones', 5, 1, 1, createRng(1))).toEqual(new Float32Array(5).fill(1));
  });
});
