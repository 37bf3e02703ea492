import { X509Certificate } from 'node:crypto';
import { access } from 'node:fs/promises';
import { isIP } from 'node:net';
import tls from 'node:tls';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { loadControllerService, versionClientInterceptor, type EnrollResponse } from '@wofleet/proto';
import {
  createCsr,
  FLEET_ROLE,
  IntegrityError,
  loadTlsMaterial,
  peerIdentity,
  printable,
  StateError,
  UsageError,
  WofleetError,
  WOFLEET_VERSION,
  type TlsFiles,
} from '@wofleet/shared';
import { createNatsUser } from '@wofleet/shared/nats';
import { natsSeedFile } from '../config/paths.js';
import type { AgentConfig } from '../config/schema.js';
import { replaceCredentials, writeEnrollmentRecord } from '../certificates/credential-files.js';
import { checkIssuedCertificate, hexFingerprint } from '../certificates/issued-check.js';
import { writeFileAtomic } from '../state/atomic-file.js';

/**
 * `wofleet-agent enroll`: trade the one-time token from `wofleet servers add` for this
 * agent's certificate. The key is made here and never leaves the server; the
 * controller signs a CSR and decides the certificate's role (agent) and name (the
 * server the token was issued for).
 *
 * The agent does not know the fleet CA yet, and the token is a secret it must not hand
 * to an impostor. So it first reads the CA certificate the controller presents in its
 * TLS handshake and accepts it only if its SHA-256 is the `--ca-fingerprint` the
 * operator copied from `wofleet ca init` (or `wofleet servers add`); then it calls
 * Enroll over TLS that trusts that CA only, and a server marked controller only.
 * Nothing is written unless the controller issued a certificate that checks out.
 *
 * The same way, the agent makes its NATS user (an nkey) here and sends only its public
 * key; the seed goes beside the certificate (0600). `wofleet nats config` then lets that
 * user publish on this server's subjects only.
 */
export interface EnrollOptions {
  /** host:port of the controller. */
  controller: string;
  token: string;
  /** SHA-256 of the fleet CA certificate: AB:CD:... or 64 hex digits, optionally "sha256:"-prefixed. */
  caFingerprint: string;
  /** Enroll although a certificate is already in place. */
  force?: boolean;
  timeoutMs?: number;
}

export interface EnrollResult {
  serverId: string;
  uri: string;
  /** SHA-256 of the new certificate (AB:CD:...). */
  fingerprint: string;
  notAfter: string;
  controller: string;
  caFingerprint: string;
  files: TlsFiles;
  /** The agent's NATS user: its public key, and where its seed was written. */
  nats: { publicKey: string; seedFile: string };
}

const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;
const HOST_PORT_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;
const DEFAULT_TIMEOUT_MS = 15_000;

export async function enrollCommand(
  config: Pick<AgentConfig, 'serverId' | 'grpc' | 'stateDir'> & { nats?: { seedFile?: string | undefined } },
  options: EnrollOptions,
): Promise<EnrollResult> {
  const files = enrollmentFiles(config);
  const seedFile = natsSeedFile(config.nats?.seedFile, files.keyFile);
  const pin = parseFingerprint(options.caFingerprint);
  const target = parseController(options.controller);
  if (!TOKEN_RE.test(options.token)) {
    throw new UsageError(
      `invalid --token '${printable(options.token, 20)}': expected the 43-character token 'wofleet servers add' printed`,
    );
  }
  if (!options.force) {
    for (const file of [files.certFile, files.keyFile]) {
      if (await exists(file)) throw new StateError(`already enrolled: ${file} exists (pass --force to enroll again)`);
    }
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const caPem = await fetchPinnedCa(target, options.controller, pin, timeoutMs);
  const { csrPem, keyPem } = await createCsr({ role: FLEET_ROLE.agent, name: config.serverId });
  const natsUser = createNatsUser();
  const response = await callEnroll(
    options.controller,
    caPem,
    { token: options.token, serverName: config.serverId, csrPem, natsPublicKey: natsUser.publicKey, agentVersion: WOFLEET_VERSION },
    timeoutMs,
  );
  checkIssuedCertificate(response, { caPem, keyPem, serverId: config.serverId });

  await writeFileAtomic(seedFile, `${natsUser.seed}\n`, 0o600);
  await writeFileAtomic(files.caFile, caPem, 0o644);
  await replaceCredentials(files, { certPem: response.certificatePem, keyPem });
  await writeEnrollmentRecord(config.stateDir, { controller: options.controller });
  const { identity } = await loadTlsMaterial(files, { expectRole: FLEET_ROLE.agent });
  return {
    serverId: identity.name,
    uri: identity.uri,
    fingerprint: identity.fingerprint,
    notAfter: identity.notAfter.toISOString(),
    controller: options.controller,
    caFingerprint: new X509Certificate(caPem).fingerprint256,
    files,
    nats: { publicKey: natsUser.publicKey, seedFile },
  };
}

function enrollmentFiles(config: Pick<AgentConfig, 'grpc'>): TlsFiles {
  const { caFile, certFile, keyFile } = config.grpc;
  if (!caFile || !certFile || !keyFile) {
    throw new UsageError(
      'enroll writes the fleet CA, certificate and key to grpc.caFile, grpc.certFile and grpc.keyFile: set all three in the agent config',
    );
  }
  return { caFile, certFile, keyFile };
}

/** AB:CD:..., abcd..., or either prefixed with "sha256:" -> 64 lower-case hex digits. */
export function parseFingerprint(input: string): string {
  const hex = input
    .trim()
    .replace(/^sha256[:=]?/i, '')
    .replaceAll(':', '')
    .toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) {
    throw new UsageError(
      `invalid --ca-fingerprint '${printable(input)}': expected the CA's SHA-256 fingerprint (AB:CD:... as 'wofleet ca init' prints it)`,
    );
  }
  return hex;
}

function parseController(input: string): { host: string; port: number } {
  const match = HOST_PORT_RE.exec(input);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) throw new UsageError(`invalid --controller '${printable(input)}': expected HOST:PORT`);
  const host = match[1] as string;
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port };
}

/**
 * The CA certificate the controller sends after its own certificate, if its SHA-256
 * is the pin. The handshake is not verified (we do not trust anything yet); the pin is
 * what makes the CA trustworthy, and the Enroll call then verifies the controller
 * against that CA.
 */
function fetchPinnedCa(target: { host: string; port: number }, address: string, pin: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: target.host,
      port: target.port,
      ...(isIP(target.host) ? {} : { servername: target.host }),
      rejectUnauthorized: false,
      ALPNProtocols: ['h2'],
      timeout: timeoutMs,
    });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('timeout', () =>
      fail(new WofleetError(`cannot reach the controller at ${address}: no TLS handshake within ${timeoutMs / 1000}s`)),
    );
    socket.once('error', (err: NodeJS.ErrnoException) =>
      fail(new WofleetError(`cannot reach the controller at ${address}: ${err.code ?? err.message}`)),
    );
    socket.once('secureConnect', () => {
      const chain: X509Certificate[] = [];
      for (let cert: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true); cert?.raw && chain.length < 5; ) {
        chain.push(new X509Certificate(cert.raw));
        if (cert.issuerCertificate === cert || !cert.issuerCertificate) break;
        cert = cert.issuerCertificate;
      }
      socket.end();
      const ca = chain.find((c) => c.ca && hexFingerprint(c) === pin);
      if (!ca) {
        reject(
          new IntegrityError(
            `the controller at ${address} does not present a CA with fingerprint ${pin.slice(0, 16)}...: wrong --ca-fingerprint, or not your controller; nothing was sent or written`,
          ),
        );
        return;
      }
      resolve(ca.toString());
    });
  });
}

function callEnroll(
  address: string,
  caPem: string,
  request: { token: string; serverName: string; csrPem: string; natsPublicKey: string; agentVersion: string },
  timeoutMs: number,
): Promise<EnrollResponse> {
  const { Client } = loadControllerService();
  const client = new Client(
    address,
    credentials.createSsl(Buffer.from(caPem), null, null, {
      checkServerIdentity: (_host, cert) =>
        peerIdentity(cert.raw)?.role === FLEET_ROLE.controller ? undefined : new Error('the server is not a wofleet controller'),
    }),
    // grpc-js would send an IP target as TLS server name, which Node warns about on stderr.
    {
      ...(isIP(parseController(address).host) ? { 'grpc.ssl_target_name_override': 'wofleet-controller' } : {}),
      interceptors: [versionClientInterceptor()],
    },
  );
  return new Promise<EnrollResponse>((resolve, reject) => {
    client.Enroll(
      request,
      new Metadata(),
      { deadline: new Date(Date.now() + timeoutMs) },
      (err: ServiceError | null, value?: EnrollResponse) => {
        client.close();
        if (err) reject(enrollError(err, address));
        else if (!value) reject(new WofleetError(`the controller at ${address} sent an empty answer`));
        else resolve(value);
      },
    );
  });
}

function enrollError(err: ServiceError, address: string): WofleetError {
  const details = err.details || err.message;
  if (err.code === status.INVALID_ARGUMENT) return new UsageError(`the controller refused the enrollment: ${details}`);
  if (err.code === status.UNAVAILABLE) return new WofleetError(`cannot reach the controller at ${address}: ${details}`);
  if (err.code === status.DEADLINE_EXCEEDED) return new WofleetError(`the controller at ${address} did not answer in time`);
  return new WofleetError(`enrollment refused: ${details}`);
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
