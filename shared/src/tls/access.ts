import { X509Certificate } from 'node:crypto';

/**
 * What an operator certificate allows. `viewer` reads only; `operator` also changes the
 * fleet (servers, releases, rollouts, certificates). The level is part of the signed
 * certificate, as a second subject OU `access=<level>`, so the controller needs no
 * table of operators: whoever holds a certificate holds its level until it expires or
 * is revoked. A certificate without the OU predates levels and keeps what every
 * operator had then: `operator`.
 */
export const OPERATOR_ACCESS = { viewer: 'viewer', operator: 'operator' } as const;
export type OperatorAccess = (typeof OPERATOR_ACCESS)[keyof typeof OPERATOR_ACCESS];

/** Levels from least to most: a call needing level N is allowed to any level >= N. */
const RANK: Record<OperatorAccess, number> = { viewer: 0, operator: 1 };
export const ACCESS_OU_PREFIX = 'access=';

export function isOperatorAccess(value: string): value is OperatorAccess {
  return value === OPERATOR_ACCESS.viewer || value === OPERATOR_ACCESS.operator;
}

export function accessAllows(held: OperatorAccess, needed: OperatorAccess): boolean {
  return RANK[held] >= RANK[needed];
}

/**
 * The access level an operator certificate carries; undefined when its OU names an
 * unknown level (refused, never guessed). Node prints each RDN of the subject on its
 * own line (`OU=access=viewer`); values with separators are escaped, so a line cannot
 * be forged from within another attribute.
 */
export function operatorAccess(cert: X509Certificate | Buffer): OperatorAccess | undefined {
  const parsed = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const levels = parsed.subject
    .split('\n')
    .filter((line) => line.startsWith(`OU=${ACCESS_OU_PREFIX}`))
    .map((line) => line.slice(`OU=${ACCESS_OU_PREFIX}`.length));
  if (levels.length === 0) return OPERATOR_ACCESS.operator;
  const [only] = levels;
  return levels.length === 1 && only !== undefined && isOperatorAccess(only) ? only : undefined;
}
