/**
 * Recognises a unique-constraint violation whichever driver raised it, so repository
 * functions can turn it into a typed error. drizzle wraps driver errors
 * (DrizzleQueryError, cause = the driver's error); postgres.js names the constraint
 * `constraint_name`, PGlite (pg-protocol) `constraint`.
 */
const UNIQUE_VIOLATION = '23505';

interface PgErrorFields {
  code?: unknown;
  constraint_name?: unknown;
  constraint?: unknown;
  cause?: unknown;
}

/** The violated unique constraint's name, or undefined when `err` is something else. */
export function violatedUniqueConstraint(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; typeof e === 'object' && e !== null && depth < 5; depth++) {
    const fields = e as PgErrorFields;
    if (fields.code === UNIQUE_VIOLATION) {
      const name = fields.constraint_name ?? fields.constraint;
      return typeof name === 'string' ? name : '';
    }
    e = fields.cause;
  }
  return undefined;
}
