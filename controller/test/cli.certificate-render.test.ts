import { describe, expect, it } from 'vitest';
import type { FleetCertificate, Server } from '@wofleet/proto';
import { expiryWarnings, renderCertificates } from '../src/cli/certificate-render.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const inDays = (days: number) => new Date(NOW.getTime() + days * 24 * 60 * 60 * 1000).toISOString();
const server = (name: string, certificateNotAfter: string) => ({ name, certificateNotAfter }) as Server;

describe('expiry warnings of servers list', () => {
  it('warns about certificates expiring in under 30 days or expired, and says nothing of the rest', () => {
    expect(
      expiryWarnings([server('ok', inDays(31)), server('soon', inDays(29.5)), server('gone', inDays(-1)), server('unknown', '')], NOW),
    ).toEqual([
      `warning: the certificate of soon expires in 29 day(s) (${inDays(29.5)}): its agent renews it itself; if it cannot, 'wofleet servers token soon' and re-enroll`,
      `warning: the certificate of gone expired on ${inDays(-1)}: its agent renews it itself; if it cannot, 'wofleet servers token gone' and re-enroll`,
    ]);
  });
});

describe('certs list', () => {
  it('shows kind, subject, serial, expiry and whether revoked', () => {
    const cert = (serial: string, notAfter: string, revokedAt = '', revokeReason = '') =>
      ({
        serial,
        kind: 'agent',
        subject: 'web-1',
        fingerprint: 'f',
        notBefore: inDays(-300),
        notAfter,
        revokedAt,
        revokeReason,
      }) as FleetCertificate;
    expect(
      renderCertificates([cert('a1', inDays(65)), cert('b2', inDays(10)), cert('c3', inDays(100), inDays(-2), 'keyCompromise')], NOW),
    ).toEqual([
      'KIND   SUBJECT  SERIAL  EXPIRES                   STATE',
      `agent  web-1    a1      ${inDays(65)}  valid`,
      `agent  web-1    b2      ${inDays(10)}  expires in 10 day(s)`,
      `agent  web-1    c3      ${inDays(100)}  revoked ${inDays(-2)} (keyCompromise)`,
    ]);
  });
});
