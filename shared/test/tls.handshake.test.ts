import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFleetCa, issueCertificate, peerIdentity, type CertificateAndKey, type FleetCa, type PeerIdentity } from '../src/index.js';
import { daysFromNow } from './tls.fixtures.js';

/**
 * Node's own TLS accepts what we issue: the agent serves with its certificate and
 * requires a client certificate of the fleet CA; the controller connects with its own.
 */
let ca: FleetCa;
let agent: CertificateAndKey;
let controller: CertificateAndKey;
beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'Fleet CA', validDays: 365 });
  agent = await issueCertificate({ ca, role: 'agent', name: 'web1', ipAddresses: ['127.0.0.1'], validDays: 30 });
  controller = await issueCertificate({ ca, role: 'controller', name: 'main', validDays: 30 });
});

const servers: tls.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

interface Outcome {
  /** The client read the server's greeting. */
  connected: boolean;
  /** Who the server saw. */
  serverSaw?: PeerIdentity;
  /** Why the server refused the client's certificate (OpenSSL code, e.g. CERT_HAS_EXPIRED). */
  serverRefused?: string;
  clientError?: string;
}

/** One handshake on loopback between an agent-like server and a client with `client` and trusting `clientCa`. */
async function handshake(client: { certPem: string; keyPem: string }, clientCa = ca.certPem): Promise<Outcome> {
  const outcome: Outcome = { connected: false };
  let serverDone: () => void = () => {};
  const serverSettled = new Promise<void>((resolve) => (serverDone = resolve));
  const server = tls.createServer(
    { key: agent.keyPem, cert: agent.certPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
    (socket) => {
      outcome.serverSaw = peerIdentity(socket.getPeerCertificate().raw);
      socket.end('hello\n');
      serverDone();
    },
  );
  // With rejectUnauthorized the server drops the connection after the handshake; the
  // reason is on the socket, not in the error ("socket hang up").
  server.on('tlsClientError', (_err, socket) => {
    if (socket.authorizationError) outcome.serverRefused = String(socket.authorizationError);
    serverDone();
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const clientSettled = new Promise<void>((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: clientCa, key: client.keyPem, cert: client.certPem });
    socket.on('data', () => {
      outcome.connected = true;
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      outcome.clientError = err.code ?? err.message;
    });
    socket.on('close', () => resolve());
  });
  await Promise.all([serverSettled, clientSettled]);
  return outcome;
}

describe('TLS with fleet certificates', () => {
  it('completes a mutual handshake: agent server, controller client', async () => {
    const outcome = await handshake(controller);
    expect(outcome).toMatchObject({ connected: true, serverSaw: { role: 'controller', name: 'main' } });
    expect(outcome.serverRefused).toBeUndefined();
    expect(outcome.clientError).toBeUndefined();
  });

  it('rejects a client whose certificate comes from another CA', async () => {
    const otherCa = await createFleetCa({ commonName: 'Other CA', validDays: 365 });
    const stranger = await issueCertificate({ ca: otherCa, role: 'controller', name: 'main', validDays: 30 });
    const outcome = await handshake(stranger);
    expect(outcome.connected).toBe(false);
    expect(outcome.serverSaw).toBeUndefined();
    expect(outcome.serverRefused).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('rejects a client whose certificate has expired', async () => {
    const expired = await issueCertificate({ ca, role: 'controller', name: 'main', validDays: 1, notBefore: daysFromNow(-10) });
    const outcome = await handshake(expired);
    expect(outcome.connected).toBe(false);
    expect(outcome.serverRefused).toBe('CERT_HAS_EXPIRED');
  });

  it('lets the client refuse a server from another CA', async () => {
    const otherCa = await createFleetCa({ commonName: 'Other CA', validDays: 365 });
    const outcome = await handshake(controller, otherCa.certPem);
    expect(outcome.connected).toBe(false);
    // The server sends its CA along (OpenSSL builds the chain from `ca`): a root the client does not trust.
    expect(outcome.clientError).toBe('SELF_SIGNED_CERT_IN_CHAIN');
  });
});
