import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, UsageError } from '../src/index.js';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error('expected a UsageError');
}

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2d12h', 216_000_000],
    ['1h0m5s', 3_605_000],
    [' 7d ', 604_800_000],
  ])('reads %j', (input, ms) => {
    expect(parseDuration('--wait', input)).toBe(ms);
  });

  it.each(['', '90', '1.5h', '30m1h', '1h1h', '-5m', '5 m', '1w', 'h'])('refuses %j, naming the flag', (input) => {
    expect(refusal(() => parseDuration('--wait', input))).toMatch(/^invalid --wait '.*': expected a duration like 90s, 5m or 1h30m/);
  });

  it('reads a plain number as seconds only where the flag took seconds', () => {
    expect(parseDuration('--every', '45', { bareSeconds: true })).toBe(45_000);
    expect(parseDuration('--every', '1m30s', { bareSeconds: true })).toBe(90_000);
    expect(refusal(() => parseDuration('--every', '45'))).toContain("invalid --every '45'");
  });

  it.each([
    [0, '0s'],
    [45_000, '45s'],
    [90_000, '1m30s'],
    [3_600_000, '1h'],
    [5_400_000, '1h30m'],
    [90_061_000, '1d1h1m1s'],
  ])('writes %d ms as %s, which reads back the same', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration('--x', text)).toBe(ms);
  });
});
