import { credentials, type ChannelCredentials } from '@grpc/grpc-js';
import { FLEET_ROLE, peerIdentity, type TlsMaterial } from '@wofleet/shared';

/**
 * How an operator dials the controller: trust the fleet CA only, present the operator certificate,
 * and accept only a server whose certificate is marked controller. Host names are not
 * checked: the private fleet CA issues the controller role to controllers only.
 */
export function operatorChannelCredentials(tls: Pick<TlsMaterial, 'caPem' | 'certPem' | 'keyPem'>): ChannelCredentials {
  return credentials.createSsl(Buffer.from(tls.caPem), Buffer.from(tls.keyPem), Buffer.from(tls.certPem), {
    checkServerIdentity: (_host, cert) =>
      peerIdentity(cert.raw)?.role === FLEET_ROLE.controller ? undefined : new Error('the server is not a wofleet controller'),
  });
}
