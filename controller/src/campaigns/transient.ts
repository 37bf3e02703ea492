import { AgentUnreachableError } from '../agents/client.js';
import { isDatabaseUnreachable } from '../db/sql-error.js';

/**
 * Failures that say nothing about the server being updated, only that a party could
 * not be reached for a moment: the agent (gRPC UNAVAILABLE, DEADLINE_EXCEEDED: it may
 * be alive and busy) or Postgres (connection refused or dropped, the server
 * restarting, a lost serialization race). The engine calls again after a backoff
 * rather than fail a target. Everything else is an answer (the agent's operation
 * failed, the lease is lost, the input was refused) and is not retried.
 */
export function isTransient(err: unknown): boolean {
  return err instanceof AgentUnreachableError || isDatabaseUnreachable(err);
}

/** The wait before the next attempt: doubling from firstMs up to maxMs, with jitter so that a fleet's steps do not retry in step. */
export const RETRY_BACKOFF = { firstMs: 100, maxMs: 5_000 } as const;

/** Wait before attempt `attempt + 1` (0: after the first failure): uniform in the upper half of the capped doubling. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_BACKOFF.maxMs, RETRY_BACKOFF.firstMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + random() * (ceiling / 2);
}
