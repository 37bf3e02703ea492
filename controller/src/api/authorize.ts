import type { ServerUnaryCall } from '@grpc/grpc-js';
import { FLEET_ROLE, peerIdentity, type PeerIdentity } from '@wofleet/shared';

/**
 * Who may call what. Enroll is open (authorised by its token); every other method
 * needs a certificate of the fleet CA marked operator. TLS has already verified the
 * certificate against the CA, or the call reports none (see credentials.ts).
 */
export type Caller = { ok: true; identity: PeerIdentity } | { ok: false; reason: string };

export function operatorCaller(call: Pick<ServerUnaryCall<unknown, unknown>, 'getAuthContext'>): Caller {
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  if (!raw) return { ok: false, reason: 'no client certificate of the fleet CA (operators need one: wofleet ca issue-operator)' };
  const identity = peerIdentity(raw);
  if (!identity) return { ok: false, reason: 'the client certificate is not marked with a fleet role' };
  if (identity.role !== FLEET_ROLE.operator) {
    return { ok: false, reason: `the client certificate belongs to ${identity.role} ${identity.name}, not an operator` };
  }
  return { ok: true, identity };
}
