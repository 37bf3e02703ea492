import { AgentUnreachableError } from '../agents/client.js';

/**
 * The one classifier of transient failures. They say nothing about the server being updated, only that a party could
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

/**
 * SQLSTATEs after which the same statement may pass: 08 connection exception, 57P01-03
 * the server shutting down, crashed or starting up, 53300 too many connections, 40001
 * and 40P01 the transaction lost a serialization race or a deadlock (run again whole).
 */
const RETRYABLE_CLASSES: ReadonlySet<string> = new Set(['08']);
const RETRYABLE_STATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03', '53300', '40001', '40P01']);
/** What Node's sockets and postgres.js call a connection that failed, dropped or was never made. */
const CONNECTION_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * The database did not do the work for a reason that may pass (it was unreachable,
 * restarting, or the transaction lost a race): the same call may succeed later. Looks
 * through drizzle's wrapper (`cause`) and a failed connect's AggregateError (`errors`).
 * Judged by the error's shape (as db/sql-error.ts does), so the engine imports no
 * driver: a SQLSTATE counts only with the server's severity (a socket's `EPIPE` has none).
 */
export function isDatabaseUnreachable(err: unknown, depth = 0): boolean {
  if (typeof err !== 'object' || err === null || depth > 5) return false;
  const { code, severity, cause, errors } = err as PgErrorFields;
  if (typeof code === 'string') {
    if (isSqlState(code) && typeof severity === 'string') return RETRYABLE_CLASSES.has(code.slice(0, 2)) || RETRYABLE_STATES.has(code);
    if (CONNECTION_CODES.has(code)) return true;
  }
  if (Array.isArray(errors) && errors.some((e) => isDatabaseUnreachable(e, depth + 1))) return true;
  return isDatabaseUnreachable(cause, depth + 1);
}

interface PgErrorFields {
  code?: unknown;
  severity?: unknown;
  cause?: unknown;
  errors?: unknown;
}

function isSqlState(code: string): boolean {
  return /^[0-9A-Z]{5}$/.test(code);
}
