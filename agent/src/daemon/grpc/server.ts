import { Server, ServerCredentials, status, type ServerUnaryCall, type ServerWritableStream, type UntypedHandleCall } from '@grpc/grpc-js';
import type { AgentServiceHandlers } from '@wofleet/proto';
import { loadAgentService } from '@wofleet/proto';
import { FLEET_ROLE, peerIdentity, type PeerIdentity, type TlsMaterial } from '@wofleet/shared';

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;
/** What the controller check reads of a call: who is on the other end of its TLS connection. */
export type AuthenticatedCall = Pick<AnyCall, 'getAuthContext'>;

/** Controllers are few; the bound only keeps a stream of odd certificates from growing the cache. */
const MAX_KNOWN_PEERS = 64;

/**
 * Mutual TLS does the first half (a certificate from the fleet CA, in its validity
 * period, or no handshake at all); this does the second: the certificate must be
 * marked as a controller (SAN URI spiffe://wofleet/controller/<name>). Identities are
 * kept by certificate bytes: parsing the certificate on every call cost more CPU than
 * answering a GetStatus from the cache.
 */
export function createControllerCheck(): (call: AuthenticatedCall) => string | undefined {
  const known = new Map<string, PeerIdentity | undefined>();
  const identify = (raw: Buffer): PeerIdentity | undefined => {
    const key = raw.toString('base64');
    if (known.has(key)) return known.get(key);
    const identity = peerIdentity(raw);
    if (known.size >= MAX_KNOWN_PEERS) known.clear();
    known.set(key, identity);
    return identity;
  };
  return (call) => {
    const raw = call.getAuthContext().sslPeerCertificate?.raw;
    if (!raw) return 'no client certificate';
    const identity = identify(raw);
    if (!identity) return 'client certificate is not marked with a fleet role';
    if (identity.role !== FLEET_ROLE.controller) return `client certificate belongs to ${identity.role} ${identity.name}, not a controller`;
    return undefined;
  };
}

function guard(handler: UntypedHandleCall, controllerRejection: (call: AuthenticatedCall) => string | undefined): UntypedHandleCall {
  return ((call: AnyCall, callback?: (err: { code: number; details: string }) => void) => {
    const rejection = controllerRejection(call);
    if (rejection === undefined) return (handler as (c: AnyCall, cb?: unknown) => void)(call, callback);
    const err = { code: status.PERMISSION_DENIED, details: `permission denied: ${rejection}` };
    if (callback) callback(err);
    else (call as ServerWritableStream<unknown, unknown>).emit('error', err);
  }) as UntypedHandleCall;
}

export async function startAgentServer(
  listen: string,
  tls: Pick<TlsMaterial, 'caPem' | 'certPem' | 'keyPem'>,
  handlers: AgentServiceHandlers,
): Promise<{ server: Server; port: number }> {
  const server = new Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
  const check = createControllerCheck();
  const guarded = Object.fromEntries(Object.entries(handlers).map(([name, h]) => [name, guard(h as UntypedHandleCall, check)]));
  server.addService(loadAgentService().service, guarded);
  const credentials = ServerCredentials.createSsl(
    Buffer.from(tls.caPem),
    [{ cert_chain: Buffer.from(tls.certPem), private_key: Buffer.from(tls.keyPem) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return { server, port };
}
