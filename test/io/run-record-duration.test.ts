import { describe, expect, it } from 'vitest';
import { duration } from '../../src/io/run-record.js';

describe('duration (run records\' wall times)', () => {
  it('writes seconds, minutes and seconds, hours and minutes', () => {
    expect(duration(48.4)).toBe('48 s');
    expect(duration(725)).toBe('12 min 5 s');
    expect(duration(5520)).toBe('1 h 32 min');
  });

  it('carries a minute that rounds to 60 into the hours', () => {
    expect(duration(7170)).toBe('2 h 0 min'); // 1 h 59.5 min
    expect(duration(3599.6)).toBe('1 h 0 min');
  });
});
