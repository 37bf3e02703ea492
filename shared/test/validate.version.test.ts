import { describe, expect, it } from 'vitest';
import { compareVersions, parseDigest, parseWordPressVersion, UsageError } from '../src/index.js';

describe('parseWordPressVersion', () => {
  it.each(['6', '6.x', 'v6.5.5', '6.5.5.5', '../6.5', '6.5.5;ls', '', 'latest'])('refuses %j', (input) => {
    expect(() => parseWordPressVersion(input)).toThrow(UsageError);
    expect(() => parseWordPressVersion(input)).toThrow(/invalid WordPress version/);
  });

  it.each(['6.5', '6.5.5', '6.6-RC1', '6.7-beta2'])('accepts %j', (input) => {
    expect(parseWordPressVersion(input)).toBe(input);
  });
});

describe('compareVersions', () => {
  it('orders numerically, pre-releases before the release', () => {
    expect(compareVersions('6.10', '6.9')).toBeGreaterThan(0);
    expect(compareVersions('6.5.5', '6.5.5')).toBe(0);
    expect(compareVersions('6.5', '6.5.0')).toBe(0);
    expect(compareVersions('6.6-RC1', '6.6')).toBeLessThan(0);
    expect(compareVersions('6.4.5', '6.5.5')).toBeLessThan(0);
  });
});

describe('parseDigest', () => {
  it('accepts hex of the right length, lower-cased', () => {
    expect(parseDigest('sha1', 'A'.repeat(40))).toEqual({ algorithm: 'sha1', hex: 'a'.repeat(40) });
  });
  it.each([
    ['sha1', 'a'.repeat(39)],
    ['sha1', 'g'.repeat(40)],
    ['sha256', 'a'.repeat(40)],
  ] as const)('refuses %s %j', (algorithm, hex) => {
    expect(() => parseDigest(algorithm, hex)).toThrow(new RegExp(`invalid --${algorithm}`));
  });
});
