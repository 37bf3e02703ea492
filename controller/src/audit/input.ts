import { parseDuration, printable, UsageError } from '@wofleet/shared';

/**
 * What `wofleet audit` asks for, checked the same at the CLI (before anything is sent)
 * and in the controller (never trusting a client).
 */
export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 10_000;

/** An ISO 8601 date, optionally with a time and zone (`2026-12-04`, `2026-12-04T10:00:00Z`). */
const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A timestamp as above; `what` names the flag or field in the error. */
export function parseTimestamp(what: string, input: string): Date {
  const text = input.trim();
  const ms = TIMESTAMP_RE.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `invalid ${what} '${printable(input)}': expected a duration back from now (30m, 1h, 7d) or a timestamp (2026-12-04T10:00:00Z)`,
    );
  }
  return new Date(ms);
}

/** `--since`: a duration back from `now` (`30m`, `7d`) or a timestamp. */
export function parseSince(input: string, now: Date): Date {
  const text = input.trim();
  if (/^(\d+[a-z]+)+$/i.test(text)) return new Date(now.getTime() - parseDuration('--since', text));
  return parseTimestamp('--since', text);
}

/** `--limit` and the wire's limit: 1 to MAX_AUDIT_LIMIT; 0 on the wire means the default. */
export function parseAuditLimit(what: string, input: string | number): number {
  const text = String(input).trim();
  const n = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(n >= 1 && n <= MAX_AUDIT_LIMIT))
    throw new UsageError(`invalid ${what} '${printable(text)}': a whole number from 1 to ${MAX_AUDIT_LIMIT}`);
  return n;
}
