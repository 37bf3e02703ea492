import { setTimeout as delay } from 'node:timers/promises';

/**
 * The time source: every wait and every deadline in the controller goes through it, so
 * tests drive time (a fake clock) instead of sleeping for real.
 */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) => (signal?.aborted ? Promise.resolve() : delay(ms, undefined, { signal }).catch(() => undefined)),
};
