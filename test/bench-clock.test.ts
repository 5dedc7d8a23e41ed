/**
 * The bench's clock check (bench/clock.ts): each clock's least disturbed round is compared, so
 * a burst of load during one clock's rounds does not decide the clock of the whole run, while
 * a clock that is off in every round still fails the check.
 */
import { describe, expect, it } from 'vitest';
import { CLOCKS_AGREE_WITHIN, compareClocks } from '../bench/clock.js';

describe('bench clock check', () => {
  it("a burst of load in some rounds (28.7 against 13.0 ms, as in the 2026-11-27 run's single sample) does not decide it", () => {
    const check = compareClocks('256×256×256', [28.7, 13.4, 27.9, 13.1, 14.0], [13.0, 25.0, 13.2, 30.1, 13.5]);
    expect(check).toMatchObject({ timestampsMs: 13.1, wallMs: 13.0, agree: true });
    expect(check.rounds).toEqual({ timestamps: [28.7, 13.4, 27.9, 13.1, 14.0], wall: [13.0, 25.0, 13.2, 30.1, 13.5] });
  });

  it('a clock off by 2× in every round, or timestamps that read 0, fail it', () => {
    expect(compareClocks('s', [26.0, 27.1, 26.4], [13.0, 13.3, 13.1]).agree).toBe(false);
    expect(compareClocks('s', [13.0, 13.3], [26.0, 27.1]).agree).toBe(false);
    expect(compareClocks('s', [0, 0, 0], [13.0, 13.1, 13.2]).agree).toBe(false);
  });

  it('agrees up to the factor, not beyond', () => {
    expect(compareClocks('s', [10 * CLOCKS_AGREE_WITHIN * 0.99], [10]).agree).toBe(true);
    expect(compareClocks('s', [10], [10 * CLOCKS_AGREE_WITHIN * 1.01]).agree).toBe(false);
  });
});
