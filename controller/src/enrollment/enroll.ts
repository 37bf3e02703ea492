import { isIP } from 'node:net';
import { assertFleetName, FLEET_ROLE, issueFromCsr, UsageError } from '@wofleet/shared';
import { isNatsUserPublicKey } from '@wofleet/shared/nats';
import { consumeEnrollmentToken, markServerEnrolled, recordAuditEvent, setServerNatsKey } from '../db/index.js';
import { certificateFingerprintHex } from '../ca/fingerprint.js';
import { parseHostPort } from '../config/address.js';
import { agentActor, type ControllerContext } from '../context/index.js';
import { EnrollmentRefusedError } from './refusal.js';
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
 * leaves a valid token usable.
 */
export async function enrollAgent(ctx: ControllerContext, request: EnrollRequest): Promise<Enrollment> {
  if (!request.csrPem.trim()) throw new UsageError('enrollment request without a CSR');
  if (request.natsPublicKey !== undefined && !isNatsUserPublicKey(request.natsPublicKey))
    throw new UsageError('enrollment request with a NATS public key that is not a user nkey (U...)');
  assertFleetName(request.serverName);
  if (!isWellFormedToken(request.token)) throw EnrollmentRefusedError.because('unknown');
  const now = ctx.clock.now();
  try {
    return await issueInTransaction(ctx, request, now);
  } catch (err) {
    if (err instanceof EnrollmentRefusedError) ctx.log.warn({ server: request.serverName, reason: err.reason }, 'enrollment refused');
    throw err;
  }
}

async function issueInTransaction(ctx: ControllerContext, request: EnrollRequest, now: Date): Promise<Enrollment> {
  return ctx.db.transaction(async (tx) => {
    const consumed = await consumeEnrollmentToken(tx, hashEnrollmentToken(request.token), now);
    if (!consumed.ok) throw EnrollmentRefusedError.because(consumed.reason);
    const { server } = consumed;
    if (server.name !== request.serverName) throw EnrollmentRefusedError.wrongServer(server.name, request.serverName);
    const { host } = parseHostPort('server address', server.address);
    const { certPem } = await issueFromCsr(ctx.ca, request.csrPem, {
      role: FLEET_ROLE.agent,
      name: server.name,
      ...(isIP(host) ? { ipAddresses: [host] } : { dnsNames: [host] }),
      validDays: AGENT_CERT_VALID_DAYS,
    });
    const fingerprint = certificateFingerprintHex(certPem);
    await markServerEnrolled(tx, server.name, fingerprint, now);
    const natsPublicKey = request.natsPublicKey ?? null;
    await setServerNatsKey(tx, server.name, natsPublicKey);
    await recordAuditEvent(tx, {
      at: now,
      actor: agentActor(server.name),
      serverId: server.id,
      kind: AUDIT_SERVER_ENROLLED,
      subject: server.name,
      data: { certificateFingerprint: fingerprint, natsPublicKey },
    });
    ctx.log.info({ server: server.name, fingerprint }, 'agent enrolled');
    return { server: server.name, certPem, caPem: ctx.ca.certPem, fingerprint };
  });
}
