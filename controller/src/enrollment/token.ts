import { createHash, randomBytes } from 'node:crypto';

/**
 * One-time enrollment tokens: 32 random bytes, base64url (43 characters). The
 * controller stores only their SHA-256 (hex), so a database dump enrolls nobody.
 */
export const TOKEN_BYTES = 32;
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

export interface NewEnrollmentToken {
  /** Shown to the operator once, never stored. */
  token: string;
  /** What the database keeps. */
  hash: string;
}

export function newEnrollmentToken(): NewEnrollmentToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, hash: hashEnrollmentToken(token) };
}

export function hashEnrollmentToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Whether a string could be a token at all (anything else is refused without a lookup). */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_RE.test(token);
}
