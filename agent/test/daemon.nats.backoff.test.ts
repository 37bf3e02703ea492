import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/daemon/nats/timers.js';

describe('backoff', () => {
  it('backoff doubles up to the cap, jittered within the upper half', () => {
    const policy = { baseMs: 500, maxMs: 30_000 };
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 1))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, policy, () => 0))).toEqual([250, 500, 1000, 2000]);
    expect(backoffDelay(20, policy, () => 1)).toBe(30_000);
  });
});
