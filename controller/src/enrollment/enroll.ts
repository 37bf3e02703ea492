import { isIP } from 'node:net';
import {
  assertFleetName,
  FLEET_ROLE,
  issueFromCsr,
  StateError,
  UsageError,
  versionRefusal,
  WOFLEET_VERSION,
  type LeafOptions,
} from '@wofleet/shared';
import { isNatsUserPublicKey } from '@wofleet/shared/nats';
import {
  type ServerRow,
  consumeEnrollmentToken,
  markServerEnrolled,
  recordAuditEvent,
  recordIssuedCertificate,
  setServerNatsKey,
} from '../db/index.js';
import { certificateRecord } from '../ca/certificate-record.js';
import { parseHostPort } from '../config/address.js';
import { agentActor, type ControllerContext } from '../context/index.js';
import { EnrollmentRefusedError } from './refusal.js';
import { signingCa } from './signing-ca.js';
import { hashEnrollmentToken, isWellFormedToken } from './token.js';

export const AGENT_CERT_VALID_DAYS = 365;
export const AUDIT_SERVER_ENROLLED = 'server-enrolled';

export interface EnrollRequest {
  token: string;
  /** The agent's serverId; must be the server the token was issued for. */
  serverName: string;
  csrPem: string;
  /** Public key of the NATS user the agent made; absent: the server gets none. */
  natsPublicKey?: string | undefined;
  /** The agent's wofleet version; absent: an agent before 0.2.0, which sent none. */
  agentVersion?: string | undefined;
}

export interface Enrollment {
  server: string;
  certPem: string;
  caPem: string;
  /** SHA-256 (hex) of the issued certificate, as recorded on the server row. */
  fingerprint: string;
}

/**
 * Trades a one-time token and a CSR for an agent certificate. The certificate's role
 * (agent) and name (the server the token was issued for) come from the controller's
 * records, never from the CSR. Token use, the enrollment mark and the audit event are
 * one transaction: a refusal (bad token, other server, bad CSR) writes nothing and
 * leaves a valid token usable. An enrolled server may enroll again with a fresh token
 * (`wofleet servers token`): the new certificate replaces the pinned one; the row,
 * its sites and its history stay.
 */
export async function enrollAgent(ctx: ControllerContext, request: EnrollRequest): Promise<Enrollment> {
  if (!request.csrPem.trim()) throw new UsageError('enrollment request without a CSR');
  if (request.natsPublicKey !== undefined && !isNatsUserPublicKey(request.natsPublicKey))
    throw new UsageError('enrollment request with a NATS public key that is not a user nkey (U...)');
  assertFleetName(request.serverName);
  // Before the token is used: an agent refused for its version enrolls with the same token once upgraded.
  const refusal = versionRefusal({ role: 'controller', peer: 'agent' }, WOFLEET_VERSION, request.agentVersion);
  if (refusal !== undefined) throw new StateError(refusal);
  if (!isWellFormedToken(request.token)) throw EnrollmentRefusedError.because('unknown');
  const now = ctx.clock.now();
  try {
    return await issueInTransaction(ctx, request, now);
  } catch (err) {
    if (err instanceof EnrollmentRefusedError) ctx.log.warn({ server: request.serverName, reason: err.reason }, 'enrollment refused');
    throw err;
  }
}

/** What an agent certificate says: role agent, the server's name, the host it is dialed by; issued at enrollment and renewal alike. */
export function agentLeaf(server: Pick<ServerRow, 'name' | 'address'>): LeafOptions {
  const { host } = parseHostPort('server address', server.address);
  return {
    role: FLEET_ROLE.agent,
    name: server.name,
    ...(isIP(host) ? { ipAddresses: [host] } : { dnsNames: [host] }),
    validDays: AGENT_CERT_VALID_DAYS,
  };
}

async function issueInTransaction(ctx: ControllerContext, request: EnrollRequest, now: Date): Promise<Enrollment> {
  return ctx.db.transaction(async (tx) => {
    const consumed = await consumeEnrollmentToken(tx, hashEnrollmentToken(request.token), now);
    if (!consumed.ok) throw EnrollmentRefusedError.because(consumed.reason);
    const { server } = consumed;
    if (server.name !== request.serverName) throw EnrollmentRefusedError.wrongServer(server.name, request.serverName);
    const ca = signingCa(ctx);
    const { certPem } = await issueFromCsr(ca, request.csrPem, agentLeaf(server));
    const record = certificateRecord(certPem, server.id);
    const { fingerprint } = record;
    await markServerEnrolled(tx, server.name, fingerprint, now, record.notAfter, request.agentVersion ?? null);
    await recordIssuedCertificate(tx, record, now);
    const natsPublicKey = request.natsPublicKey ?? null;
    await setServerNatsKey(tx, server.name, natsPublicKey);
    await recordAuditEvent(tx, {
      at: now,
      actor: agentActor(server.name),
      serverId: server.id,
      kind: AUDIT_SERVER_ENROLLED,
      subject: server.name,
      data: {
        certificateFingerprint: fingerprint,
        serial: record.serial,
        reenrolled: server.enrolledAt !== null,
        natsPublicKey,
        agentVersion: request.agentVersion ?? null,
      },
    });
    ctx.log.info({ server: server.name, fingerprint }, 'agent enrolled');
    return { server: server.name, certPem, caPem: ca.certPem, fingerprint };
  });
}
