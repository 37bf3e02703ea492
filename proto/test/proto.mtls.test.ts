import * as grpc from '@grpc/grpc-js';
import { createFleetCa, issueCertificate, peerIdentity, type CertificateAndKey, type FleetCa, type PeerIdentity } from '@wofleet/shared';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  loadAgentService,
  type AgentServiceClient,
  type AgentServiceHandlers,
  type AgentStatus,
  type AgentStatusInput,
  type OperationEvent,
} from '../src/index.js';

/**
 * A real grpc-js server and client on loopback with mutual TLS, using certificates
 * from @wofleet/shared. The agent reads the caller's certificate with
 * `call.getAuthContext().sslPeerCertificate.raw` and serves only role controller.
 */
const { service, Client } = loadAgentService();

let ca: FleetCa;
let agent: CertificateAndKey;
let controller: CertificateAndKey;
beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'Fleet CA', validDays: 365 });
  agent = await issueCertificate({ ca, role: 'agent', name: 'web1', ipAddresses: ['127.0.0.1'], validDays: 30 });
  controller = await issueCertificate({ ca, role: 'controller', name: 'main', validDays: 30 });
});

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** The caller's fleet identity: what the agent checks before anything else. */
function callerOf(call: { getAuthContext(): { sslPeerCertificate?: { raw: Buffer } } }): PeerIdentity | undefined {
  const cert = call.getAuthContext().sslPeerCertificate;
  return cert ? peerIdentity(cert.raw) : undefined;
}

const STATUS: AgentStatusInput = {
  serverId: 'web1',
  agentVersion: '0.1.0',
  uptimeSeconds: 42,
  current: { id: '20250101T000000Z-6.5.5', version: '6.5.5', dbVersion: 57155 },
  sites: 3,
  health: { healthy: 3 },
  disk: { sharedCoreBytes: 80_000_000, freeBytes: 9_000_000_000 },
};

/** A trivial agent: GetStatus checks the caller in the handler; every other method is UNIMPLEMENTED. */
const handlers: Pick<AgentServiceHandlers, 'GetStatus' | 'WatchOperation'> = {
  GetStatus(call, callback) {
    const caller = callerOf(call);
    if (caller?.role !== 'controller') {
      callback({
        code: grpc.status.PERMISSION_DENIED,
        details: `only the controller may call the agent (caller: ${caller ? `${caller.role}/${caller.name}` : 'unknown'})`,
      });
      return;
    }
    callback(null, STATUS);
  },
  WatchOperation(call) {
    const { operationId } = call.request;
    call.write({ operationId, state: 'OPERATION_STATE_RUNNING', message: 'staging 6.5.5', at: '2025-01-01T00:00:00.000Z' });
    call.write({ operationId, state: 'OPERATION_STATE_SUCCEEDED', message: 'staged', at: '2025-01-01T00:00:01.000Z' });
    call.end();
  },
};

/** The same check once for every method, as a server interceptor (grpc-js >= 1.10). */
const requireController: grpc.ServerInterceptor = (_method, call) =>
  new grpc.ServerInterceptingCall(call, {
    start(next) {
      next(
        new grpc.ServerListenerBuilder()
          .withOnReceiveMetadata((metadata, pass) => {
            const caller = callerOf(call);
            if (caller?.role === 'controller') pass(metadata);
            else call.sendStatus({ code: grpc.status.PERMISSION_DENIED, details: 'only the controller may call the agent' });
          })
          .build(),
      );
    },
  });

async function startAgent(options: grpc.ServerOptions = {}): Promise<number> {
  const server = new grpc.Server(options);
  server.addService(service, handlers);
  const credentials = grpc.ServerCredentials.createSsl(
    Buffer.from(ca.certPem),
    [{ private_key: Buffer.from(agent.keyPem), cert_chain: Buffer.from(agent.certPem) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  cleanups.push(() => server.forceShutdown());
  return port;
}

/** A controller-side client that also checks the server is the agent it meant to reach. */
function connect(
  port: number,
  identity: { certPem: string; keyPem: string },
  options: { expectAgent?: string; trust?: string } = {},
): AgentServiceClient {
  const expectAgent = options.expectAgent ?? 'web1';
  const credentials = grpc.credentials.createSsl(
    Buffer.from(options.trust ?? ca.certPem),
    Buffer.from(identity.keyPem),
    Buffer.from(identity.certPem),
    {
      // Replaces the host name check: agents are known by their certificate's role URI.
      checkServerIdentity: (_host, cert) => {
        const peer = peerIdentity(cert.raw);
        return peer?.role === 'agent' && peer.name === expectAgent
          ? undefined
          : new Error(`expected agent ${expectAgent}, got ${peer ? `${peer.role}/${peer.name}` : 'no fleet identity'}`);
      },
    },
  );
  const client = new Client(`127.0.0.1:${port}`, credentials);
  cleanups.push(() => client.close());
  return client;
}

function getStatus(client: AgentServiceClient): Promise<AgentStatus> {
  return new Promise((resolve, reject) =>
    client.getStatus({}, { deadline: Date.now() + 10_000 }, (err, status) => (err || !status ? reject(err) : resolve(status))),
  );
}

describe('AgentService over mutual TLS', () => {
  it('answers the controller, with fields named as documented', async () => {
    const status = await getStatus(connect(await startAgent(), controller));
    expect(status).toEqual({
      serverId: 'web1',
      agentVersion: '0.1.0',
      uptimeSeconds: 42,
      current: { id: '20250101T000000Z-6.5.5', version: '6.5.5', dbVersion: 57155 },
      canary: null,
      previous: null,
      canarySite: '',
      releases: 0,
      sites: 3,
      health: { healthy: 3, degraded: 0, unhealthy: 0 },
      disk: {
        sharedCoreBytes: 80_000_000,
        currentReleaseBytes: 0,
        oneCopyPerSiteBytes: 0,
        savedBytes: 0,
        backupsBytes: 0,
        freeBytes: 9_000_000_000,
      },
      lastUpdate: null,
    });
  });

  it('refuses a valid fleet certificate that is not marked controller (PERMISSION_DENIED)', async () => {
    const otherAgent = await issueCertificate({ ca, role: 'agent', name: 'web2', validDays: 30 });
    await expect(getStatus(connect(await startAgent(), otherAgent))).rejects.toMatchObject({
      code: grpc.status.PERMISSION_DENIED,
      details: 'only the controller may call the agent (caller: agent/web2)',
    });
  });

  it('can refuse it for every method at once with a server interceptor', async () => {
    const port = await startAgent({ interceptors: [requireController] });
    const otherAgent = await issueCertificate({ ca, role: 'agent', name: 'web2', validDays: 30 });
    await expect(getStatus(connect(port, otherAgent))).rejects.toMatchObject({ code: grpc.status.PERMISSION_DENIED });
    await expect(getStatus(connect(port, controller))).resolves.toMatchObject({ serverId: 'web1' });
  });

  it('fails the handshake for a client certificate from another CA (UNAVAILABLE)', async () => {
    const otherCa = await createFleetCa({ commonName: 'Other CA', validDays: 365 });
    const stranger = await issueCertificate({ ca: otherCa, role: 'controller', name: 'main', validDays: 30 });
    await expect(getStatus(connect(await startAgent(), stranger))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('lets the controller refuse an agent that is not the one it dialled', async () => {
    await expect(getStatus(connect(await startAgent(), controller, { expectAgent: 'web9' }))).rejects.toMatchObject({
      code: grpc.status.UNAVAILABLE,
      details: expect.stringContaining('expected agent web9, got agent/web1'),
    });
  });

  it('streams operation progress until the operation is terminal, states by name', async () => {
    const client = connect(await startAgent(), controller);
    const events: OperationEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      const stream = client.watchOperation({ operationId: 'op-1' });
      stream.on('data', (event: OperationEvent) => events.push(event));
      stream.on('error', reject);
      stream.on('end', () => resolve());
    });
    expect(events.map((e) => [e.operationId, e.state, e.message])).toEqual([
      ['op-1', 'OPERATION_STATE_RUNNING', 'staging 6.5.5'],
      ['op-1', 'OPERATION_STATE_SUCCEEDED', 'staged'],
    ]);
  });

  it('answers UNIMPLEMENTED for methods the server does not provide', async () => {
    const client = connect(await startAgent(), controller);
    const error = await new Promise<grpc.ServiceError | null>((resolve) => client.listSites({}, (err) => resolve(err)));
    expect(error?.code).toBe(grpc.status.UNIMPLEMENTED);
  });
});
