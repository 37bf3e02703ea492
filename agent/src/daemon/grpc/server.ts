import { Server, ServerCredentials, status, type ServerUnaryCall, type ServerWritableStream, type UntypedHandleCall } from '@grpc/grpc-js';
import type { AgentServiceHandlers } from '@wofleet/proto';
import { loadAgentService } from '@wofleet/proto';
import { FLEET_ROLE, peerIdentity, type TlsMaterial } from '@wofleet/shared';

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

/**
 * Mutual TLS does the first half (a certificate from the fleet CA, in its validity
 * period, or no handshake at all); this does the second: the certificate must be
 * marked as a controller (SAN URI spiffe://wofleet/controller/<name>).
 */
export function controllerRejection(call: AnyCall): string | undefined {
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  if (!raw) return 'no client certificate';
  const identity = peerIdentity(raw);
  if (!identity) return 'client certificate is not marked with a fleet role';
  if (identity.role !== FLEET_ROLE.controller) return `client certificate belongs to ${identity.role} ${identity.name}, not a controller`;
  return undefined;
}

function guard(handler: UntypedHandleCall): UntypedHandleCall {
  return ((call: AnyCall, callback?: (err: { code: number; details: string }) => void) => {
    const rejection = controllerRejection(call);
    if (rejection === undefined) return (handler as (c: AnyCall, cb?: unknown) => void)(call, callback);
    const err = { code: status.PERMISSION_DENIED, details: `permission denied: ${rejection}` };
    if (callback) callback(err);
    else (call as ServerWritableStream<unknown, unknown>).emit('error', err);
  }) as UntypedHandleCall;
}

export async function startAgentServer(listen: string, tls: Pick<TlsMaterial, 'caPem' | 'certPem' | 'keyPem'>, handlers: AgentServiceHandlers): Promise<{ server: Server; port: number }> {
  const server = new Server({ 'grpc.max_receive_message_length': 1024 * 1024 });
  const guarded = Object.fromEntries(Object.entries(handlers).map(([name, h]) => [name, guard(h as UntypedHandleCall)]));
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
