import { createPrivateKey, X509Certificate } from 'node:crypto';
import { FLEET_ROLE, IntegrityError, peerIdentity } from '@wofleet/shared';

/**
 * What the agent checks of a certificate the controller hands it (enrollment,
 * renewal) before writing anything: it certifies the key made here, is issued by the
 * fleet CA the agent trusts, names this agent, and the controller names that same CA.
 */
export function checkIssuedCertificate(
  response: { certificatePem: string; caPem: string },
  expected: { caPem: string; keyPem: string; serverId: string },
): void {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(response.certificatePem);
  } catch (err) {
    throw new IntegrityError('the controller sent something that is not a certificate; nothing was written', { cause: err });
  }
  const ca = new X509Certificate(expected.caPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey))
    throw new IntegrityError('the certificate is not issued by the pinned fleet CA; nothing was written');
  if (hexFingerprint(new X509Certificate(response.caPem)) !== hexFingerprint(ca)) {
    throw new IntegrityError('the controller named another CA than the pinned one; nothing was written');
  }
  const identity = peerIdentity(cert);
  if (identity?.role !== FLEET_ROLE.agent || identity.name !== expected.serverId) {
    throw new IntegrityError(`the certificate is not for agent ${expected.serverId}; nothing was written`);
  }
  if (!cert.checkPrivateKey(createPrivateKey(expected.keyPem)))
    throw new IntegrityError('the certificate does not certify the key made here; nothing was written');
}

export function hexFingerprint(cert: X509Certificate): string {
  return cert.fingerprint256.replaceAll(':', '').toLowerCase();
}
