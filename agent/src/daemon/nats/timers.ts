/**
 * The clock port of the NATS daemon parts: everything periodic waits through it,
 * so tests run heartbeats and retries in virtual time instead of sleeping.
 */
export interface Timers {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
    }),
};

export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** The delay stops doubling here. */
  maxMs: number;
}

/**
 * Delay before retry number `attempt` (1 = after the first failure): doubling from
 * baseMs up to maxMs, then a random half of it taken off so that a fleet of agents
 * coming back after the same outage does not retry in lock-step.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
