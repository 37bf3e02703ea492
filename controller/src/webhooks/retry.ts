/**
 * When a failed delivery is tried again: exponential backoff from `firstDelayMs`,
 * capped at `maxDelayMs`, each delay drawn between half and all of it (so deliveries
 * that failed together spread out), until `retryForMs` after the event; then it is
 * given up (the row keeps its last error).
 */
export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  retryForMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { firstDelayMs: 5_000, maxDelayMs: 15 * 60_000, retryForMs: 24 * 3_600_000 };

/** The wait before the next attempt after failed attempt `attempt` (from 1), or undefined: give up. */
export function nextRetryDelay(
  policy: RetryPolicy,
  attempt: number,
  ageMs: number,
  random: () => number = Math.random,
): number | undefined {
  const full = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** Math.min(attempt - 1, 30));
  const delay = full / 2 + (full / 2) * random();
  return ageMs + delay > policy.retryForMs ? undefined : delay;
}
