import { isIP } from 'node:net';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { loadControllerService, versionClientInterceptor, type ControllerServiceClient } from '@wofleet/proto';
import { FLEET_ROLE, normalizeSerial, peerIdentity, WofleetError, type TlsMaterial } from '@wofleet/shared';

/**
 * The agent's calls to the controller once enrolled, over mutual TLS with its current
 * certificate: renewing that certificate, and fetching the revocation list. The
 * controller must present a certificate of the fleet CA marked controller and not on
 * the revocation list the agent holds.
 */
export interface ControllerCalls {
  renewCertificate(csrPem: string): Promise<{ certificatePem: string; caPem: string; revokedSerials: string[] }>;
  listRevocations(): Promise<string[]>;
  /** A wofleet-agent package the controller holds, its bytes in order (`wofleet agents upgrade`). */
  fetchAgentPackage(version: string): AsyncIterable<Uint8Array>;
  close(): void;
}

const CALL_TIMEOUT_MS = 15_000;
/** A package download: tens of MB over a slow link. */
const FETCH_TIMEOUT_MS = 10 * 60_000;
const HOST_PORT_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function connectToController(
  address: string,
  tls: Pick<TlsMaterial, 'caPem' | 'certPem' | 'keyPem'>,
  isRevoked: (serial: string) => boolean,
): ControllerCalls {
  const { Client } = loadControllerService();
  const host = HOST_PORT_RE.exec(address)?.[1] ?? '';
  const client: ControllerServiceClient = new Client(
    address,
    credentials.createSsl(Buffer.from(tls.caPem), Buffer.from(tls.keyPem), Buffer.from(tls.certPem), {
      checkServerIdentity: (_host, cert) => {
        if (peerIdentity(cert.raw)?.role !== FLEET_ROLE.controller) return new Error('the server is not a wofleet controller');
        return isRevoked(normalizeSerial(cert.serialNumber)) ? new Error('the controller certificate has been revoked') : undefined;
      },
    }),
    // grpc-js would send an IP target as TLS server name, which Node warns about on stderr.
    {
      ...(isIP(host.replace(/^\[|\]$/g, '')) ? { 'grpc.ssl_target_name_override': 'wofleet-controller' } : {}),
      interceptors: [versionClientInterceptor()],
    },
  );
  const deadline = () => ({ deadline: new Date(Date.now() + CALL_TIMEOUT_MS) });
  const fail = (err: ServiceError) =>
    new WofleetError(
      err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED
        ? `cannot reach the controller at ${address}: ${err.details || err.message}`
        : `the controller at ${address} refused: ${err.details || err.message}`,
    );
  return {
    renewCertificate: (csrPem) =>
      new Promise((resolve, reject) =>
        client.RenewCertificate({ csrPem }, new Metadata(), deadline(), (err, value) =>
          err || !value ? reject(err ? fail(err) : new WofleetError('empty answer')) : resolve(value),
        ),
      ),
    async *fetchAgentPackage(version) {
      const stream = client.FetchAgentPackage({ version }, { deadline: new Date(Date.now() + FETCH_TIMEOUT_MS) });
      try {
        for await (const chunk of stream as AsyncIterable<{ data: Buffer }>) yield chunk.data;
      } catch (err) {
        throw isServiceError(err) ? fail(err) : err;
      }
    },
    listRevocations: () =>
      new Promise((resolve, reject) =>
        client.ListRevocations({}, new Metadata(), deadline(), (err, value) =>
          err || !value ? reject(err ? fail(err) : new WofleetError('empty answer')) : resolve(value.revokedSerials),
        ),
      ),
    close: () => client.close(),
  };
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}
