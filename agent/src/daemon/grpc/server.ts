import { Server, status, type ServerUnaryCall, type ServerWritableStream, type UntypedHandleCall } from '@grpc/grpc-js';
import type { AgentServiceHandlers } from '@wofleet/proto';
import { loadAgentService, versionServerInterceptor } from '@wofleet/proto';
import {
  certificateSerial,
  FLEET_ROLE,
  peerIdentity,
  versionRefusal,
  WOFLEET_VERSION,
  type PeerIdentity,
  type TlsMaterial,
} from '@wofleet/shared';
import { addHealthService } from '@wofleet/shared/grpc-health';
import { reloadableServerCredentials } from './credentials.js';

type AnyCall = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;
/** What the controller check reads of a call: who is on the other end of its TLS connection. */
export type AuthenticatedCall = Pick<AnyCall, 'getAuthContext'>;

/** Controllers are few; the bound only keeps a stream of odd certificates from growing the cache. */
const MAX_KNOWN_PEERS = 64;

/**
 * Mutual TLS does the first half (a certificate from the fleet CA, in its validity
 * period, or no handshake at all); this does the second: the certificate must be
 * marked as a controller (SAN URI spiffe://wofleet/controller/<name>) and not on the
 * revocation list the agent holds (certificates/revocation-list.ts). Identities are
 * kept by certificate bytes: parsing the certificate on every call cost more CPU than
 * answering a GetStatus from the cache.
 */
export function createControllerCheck(
  isRevoked: (serial: string) => boolean = () => false,
): (call: AuthenticatedCall) => string | undefined {
  const known = new Map<string, { identity: PeerIdentity | undefined; serial: string }>();
  const identify = (raw: Buffer) => {
    const key = raw.toString('base64');
    let entry = known.get(key);
    if (!entry) {
      entry = { identity: peerIdentity(raw), serial: certificateSerial(raw) };
      if (known.size >= MAX_KNOWN_PEERS) known.clear();
      known.set(key, entry);
    }
    return entry;
  };
  return (call) => {
    const raw = call.getAuthContext().sslPeerCertificate?.raw;
    if (!raw) return 'no client certificate';
    const { identity, serial } = identify(raw);
    if (!identity) return 'client certificate is not marked with a fleet role';
    if (identity.role !== FLEET_ROLE.controller) return `client certificate belongs to ${identity.role} ${identity.name}, not a controller`;
    // Looked up on every call (not cached with the identity): the list changes while connections stay open.
    if (isRevoked(serial)) return `client certificate (serial ${serial}) has been revoked`;
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

export interface AgentServerOptions {
  /** The revocation list the agent holds (controller certificates on it are refused). */
  isRevoked?: (serial: string) => boolean;
}

export interface RunningAgentServer {
  server: Server;
  port: number;
  /** Serves a renewed certificate from the next handshake on. */
  reloadTls(tls: Pick<TlsMaterial, 'caPem' | 'certPem' | 'keyPem'>): void;
  /** The health service reads NOT_SERVING from now on (the daemon refuses new work). */
  notServing(): void;
}

/** The agent's gRPC server with its services and the controller check, bound to no address yet. */
export interface AgentServer {
  server: Server;
  notServing(): void;
}

export function createAgentServer(handlers: AgentServiceHandlers, options: AgentServerOptions = {}): AgentServer {
  const server = new Server({
    'grpc.max_receive_message_length': 1024 * 1024,
    interceptors: [versionServerInterceptor((peerVersion) => versionRefusal({ role: 'agent' }, WOFLEET_VERSION, peerVersion))],
  });
  const check = createControllerCheck(options.isRevoked);
  const guarded = Object.fromEntries(Object.entries(handlers).map(([name, h]) => [name, guard(h as UntypedHandleCall, check)]));
  const agentService = loadAgentService().service;
  server.addService(agentService, guarded);
  // Beside AgentService, not guarded by the controller check: any certificate of the fleet CA may ask.
  const health = addHealthService(server, [agentService]);
  return { server, notServing: health.notServing };
}

export async function startAgentServer(
  listen: string,
  tls: Pick<TlsMaterial, 'caPem' | 'certPem' | 'keyPem'>,
  handlers: AgentServiceHandlers,
  options: AgentServerOptions = {},
): Promise<RunningAgentServer> {
  const { server, notServing } = createAgentServer(handlers, options);
  const credentials = reloadableServerCredentials(tls);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, credentials.credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return { server, port, reloadTls: credentials.update, notServing };
}
