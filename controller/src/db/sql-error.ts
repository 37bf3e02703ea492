/**
 * What Postgres said when it refused a statement, whichever driver raised it. drizzle
 * wraps driver errors (DrizzleQueryError, cause = the driver's error); postgres.js
 * names the constraint `constraint_name`, PGlite (pg-protocol) `constraint`; both carry
 * the SQLSTATE as `code` and the server's `severity`.
 */
const UNIQUE_VIOLATION = '23505';
/**
 * SQLSTATE classes that refuse the data itself: 22 data exception (NUL in text, a
 * number out of range, malformed JSON), 23 integrity constraint violation. Sending the
 * same data again fails the same way; any other error (connection lost, serialization,
 * the server shutting down) may pass on a retry.
 */
const DATA_CLASSES: ReadonlySet<string> = new Set(['22', '23']);

interface PgErrorFields {
  code?: unknown;
  severity?: unknown;
  message?: unknown;
  constraint_name?: unknown;
  constraint?: unknown;
  cause?: unknown;
}

/** The first error in `err`'s cause chain that the server sent: a SQLSTATE and a severity (a socket's `EPIPE` has no severity). */
function databaseError(err: unknown): (PgErrorFields & { code: string }) | undefined {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const fields = e as PgErrorFields;
    if (isSqlState(fields.code) && typeof fields.severity === 'string') return fields as PgErrorFields & { code: string };
    e = fields.cause;
  }
  return undefined;
}

function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/** The violated unique constraint's name, or undefined when `err` is something else. */
export function violatedUniqueConstraint(err: unknown): string | undefined {
  const found = databaseError(err);
  if (found?.code !== UNIQUE_VIOLATION) return undefined;
  const name = found.constraint_name ?? found.constraint;
  return typeof name === 'string' ? name : '';
}

/** The database answered this statement with an error (as opposed to not answering at all). */
export function isStatementError(err: unknown): boolean {
  return databaseError(err) !== undefined;
}

/** `SQLSTATE 22021: invalid byte sequence ...` when the database refused the data as such, else undefined. */
export function refusedAsData(err: unknown): string | undefined {
  const found = databaseError(err);
  if (!found || !DATA_CLASSES.has(found.code.slice(0, 2))) return undefined;
  return `SQLSTATE ${found.code}: ${typeof found.message === 'string' ? found.message : 'no message'}`;
}
