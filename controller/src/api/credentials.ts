import { experimental, type ServerCredentials } from '@grpc/grpc-js';
import type { TlsMaterial } from '@wofleet/shared';

/**
 * TLS for ControllerService. The server asks every client for a certificate but
 * does not require one: an agent enrolling has none yet, and Enroll is authorised by
 * its token instead. A certificate that does not verify against the fleet CA leaves
 * the connection "unauthorized", and grpc-js then reports no peer certificate at all
 * (`getAuthContext()` is empty), so the per-method check (authorize.ts) sees only
 * certificates the CA issued.
 *
 * `ServerCredentials.createSsl(ca, pairs, false)` would not do: it does not request a
 * client certificate at all, so operators could not be told from anyone else; with
 * `true` it refuses the handshake of a client without one. A certificate provider
 * gives the middle ground (requestCert, not rejectUnauthorized).
 *
 * The server sends its certificate followed by the CA certificate: an agent that has
 * only the CA's fingerprint (`wofleet-agent enroll --ca-fingerprint`) reads the CA
 * from the handshake, checks the fingerprint, then trusts that CA only.
 */
class StaticCertificateProvider implements experimental.CertificateProvider {
  constructor(
    private readonly ca: Buffer,
    private readonly certificate: Buffer,
    private readonly privateKey: Buffer,
  ) {}

  // grpc-js adds its own watcher only after registering these listeners, so they are
  // called on the next tick, when that watcher is there to receive the update.
  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    setImmediate(() => listener({ caCertificate: this.ca }));
  }
  removeCaCertificateListener(): void {}
  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    setImmediate(() => listener({ certificate: this.certificate, privateKey: this.privateKey }));
  }
  removeIdentityCertificateListener(): void {}
}

export function controllerServerCredentials(tls: TlsMaterial): ServerCredentials {
  const provider = new StaticCertificateProvider(
    Buffer.from(tls.caPem),
    Buffer.from(`${tls.certPem.trimEnd()}\n${tls.caPem.trimEnd()}\n`),
    Buffer.from(tls.keyPem),
  );
  // The same provider serves as identity and CA provider (grpc-js names them in
  // opposite orders in its typings and its code; with one provider it cannot matter).
  return experimental.createCertificateProviderServerCredentials(provider, provider, false);
}
