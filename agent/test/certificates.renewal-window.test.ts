import { describe, expect, it } from 'vitest';
import { needsRenewal } from '../src/certificates/renewal-window.js';

const DAY = 24 * 60 * 60 * 1000;
const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date(notBefore.getTime() + 365 * DAY);

describe('needsRenewal', () => {
  it.each([
    ['a new certificate', 0, false],
    ['two thirds through its life (day 243)', 243, false],
    ['with less than a third left (day 244)', 244, true],
    ['a day before expiry', 364, true],
    ['past expiry', 400, true],
  ])('%s: %s', (_what, day, expected) => {
    expect(needsRenewal({ notBefore, notAfter }, new Date(notBefore.getTime() + day * DAY))).toBe(expected);
  });
});
