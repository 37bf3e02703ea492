import type { FleetCertificate, Server } from '@wofleet/proto';
import { table } from './output.js';

/** Human renderings of certificates: `certs list`, and the expiry warnings of `servers list`. */

/** Under this, `servers list` warns (agents renew at a third of 365 days, ~122 days before expiry). */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export function renderCertificates(certs: readonly FleetCertificate[], now: Date): string[] {
  if (certs.length === 0) return ['no certificates known'];
  return table(
    ['KIND', 'SUBJECT', 'SERIAL', 'EXPIRES', 'STATE'],
    certs.map((c) => [c.kind, c.subject, c.serial, c.notAfter, certificateState(c, now)]),
  );
}

function certificateState(c: FleetCertificate, now: Date): string {
  if (c.revokedAt) return `revoked ${c.revokedAt}${c.revokeReason ? ` (${c.revokeReason})` : ''}`;
  const days = daysLeft(c.notAfter, now);
  if (days < 0) return 'expired';
  return days < EXPIRY_WARNING_DAYS ? `expires in ${days} day(s)` : 'valid';
}

/** One line per server whose pinned certificate expires within EXPIRY_WARNING_DAYS (or has expired). */
export function expiryWarnings(servers: readonly Server[], now: Date): string[] {
  return servers.flatMap((s) => {
    if (!s.certificateNotAfter) return [];
    const days = daysLeft(s.certificateNotAfter, now);
    if (days >= EXPIRY_WARNING_DAYS) return [];
    const when = days < 0 ? `expired on ${s.certificateNotAfter}` : `expires in ${days} day(s) (${s.certificateNotAfter})`;
    return [
      `warning: the certificate of ${s.name} ${when}: its agent renews it itself; if it cannot, 'wofleet servers token ${s.name}' and re-enroll`,
    ];
  });
}

function daysLeft(notAfter: string, now: Date): number {
  return Math.floor((Date.parse(notAfter) - now.getTime()) / DAY_MS);
}
