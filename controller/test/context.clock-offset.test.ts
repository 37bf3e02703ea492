import { describe, expect, it } from 'vitest';
import { UsageError } from '@wofleet/shared';
import { clockWithTestOffset, type Clock } from '../src/context/index.js';

const fixed: Clock = { now: () => new Date('2026-01-01T00:00:00Z'), sleep: async () => {} };

describe('clockWithTestOffset (the chaos suite clock skew)', () => {
  it('shifts now by WOFLEET_TEST_CLOCK_OFFSET_MS, either way', () => {
    expect(clockWithTestOffset(fixed, { WOFLEET_TEST_CLOCK_OFFSET_MS: '20000' }).now().toISOString()).toBe('2026-01-01T00:00:20.000Z');
    expect(clockWithTestOffset(fixed, { WOFLEET_TEST_CLOCK_OFFSET_MS: '-1500' }).now().toISOString()).toBe('2025-12-31T23:59:58.500Z');
  });

  it('is the clock as given when the variable is unset or empty', () => {
    expect(clockWithTestOffset(fixed, {})).toBe(fixed);
    expect(clockWithTestOffset(fixed, { WOFLEET_TEST_CLOCK_OFFSET_MS: ' ' })).toBe(fixed);
  });

  it('refuses what is not whole milliseconds within a day, naming the variable', () => {
    for (const bad of ['1.5', 'soon', '86400001', '1e6']) {
      expect(() => clockWithTestOffset(fixed, { WOFLEET_TEST_CLOCK_OFFSET_MS: bad }), bad).toThrow(UsageError);
      expect(() => clockWithTestOffset(fixed, { WOFLEET_TEST_CLOCK_OFFSET_MS: bad }), bad).toThrow(/WOFLEET_TEST_CLOCK_OFFSET_MS/);
    }
  });
});
