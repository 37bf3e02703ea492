import { experimental, type ServerCredentials } from '@grpc/grpc-js';
import type { TlsMaterial } from '@wofleet/shared';

type Pem = Pick<TlsMaterial, 'caPem' | 'certPem' | 'keyPem'>;

/**
 * The daemon's TLS, replaceable while it serves: a renewed certificate is handed to
 * `update` and every handshake after that uses it (grpc-js swaps the server's secure
 * context); connections already open keep theirs. Client certificates are required,
 * as with `ServerCredentials.createSsl(..., true)`.
 */
export interface ReloadableServerCredentials {
  credentials: ServerCredentials;
  update(tls: Pem): void;
}

class ReloadableCertificateProvider implements experimental.CertificateProvider {
  private readonly caListeners = new Set<experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();

  constructor(private current: Pem) {}

  update(tls: Pem): void {
    this.current = tls;
    for (const listener of this.caListeners) listener({ caCertificate: Buffer.from(tls.caPem) });
    for (const listener of this.identityListeners) listener(this.identity());
  }

  // grpc-js adds its own watcher only after registering these listeners, so the first
  // value is given on the next tick, when that watcher is there to receive it.
  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    setImmediate(() => listener({ caCertificate: Buffer.from(this.current.caPem) }));
  }
  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }
  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    setImmediate(() => listener(this.identity()));
  }
  removeIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }

  private identity(): { certificate: Buffer; privateKey: Buffer } {
    return { certificate: Buffer.from(this.current.certPem), privateKey: Buffer.from(this.current.keyPem) };
  }
}

export function reloadableServerCredentials(tls: Pem): ReloadableServerCredentials {
  const provider = new ReloadableCertificateProvider(tls);
  return {
    credentials: experimental.createCertificateProviderServerCredentials(provider, provider, true),
    update: (next) => provider.update(next),
  };
}
