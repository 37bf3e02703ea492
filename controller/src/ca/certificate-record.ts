import { X509Certificate } from 'node:crypto';
import { certificateSerial, peerIdentity, TlsError } from '@wofleet/shared';
import type { NewIssuedCertificate } from '../db/index.js';

/** What the controller records of a fleet certificate (issued_certificates): read from the certificate itself. */
export function certificateRecord(cert: string | Buffer | X509Certificate, serverId: string | null = null): NewIssuedCertificate {
  const parsed = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  const identity = peerIdentity(parsed);
  if (!identity) throw new TlsError('the certificate has no wofleet role');
  return {
    serial: certificateSerial(parsed),
    kind: identity.role,
    subject: identity.name,
    serverId,
    fingerprint: parsed.fingerprint256.replaceAll(':', '').toLowerCase(),
    notBefore: new Date(parsed.validFrom),
    notAfter: new Date(parsed.validTo),
  };
}
