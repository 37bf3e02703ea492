import { issueFromCsr, StateError, UsageError } from '@wofleet/shared';
import { certificateRecord } from '../ca/certificate-record.js';
import { agentActor, type ControllerContext } from '../context/index.js';
import { findServerByName, listRevocations, pinRenewedCertificate, recordAuditEvent, recordIssuedCertificate } from '../db/index.js';
import { agentLeaf } from './enroll.js';
import { signingCa } from './signing-ca.js';

export const AUDIT_CERTIFICATE_RENEWED = 'certificate-renewed';

export interface RenewRequest {
  /** The agent, as its (verified, unrevoked) certificate names it. */
  server: string;
  /** SHA-256 (hex) of the certificate the agent called with. */
  presentedFingerprint: string;
  csrPem: string;
}

export interface Renewal {
  certPem: string;
  caPem: string;
  revokedSerials: string[];
}

/**
 * Renews an agent's certificate. Only the certificate the controller pinned for the
 * server (or the one before it, when the agent never received the last renewal's
 * answer) may renew: a stolen copy of an older certificate, or a certificate the CA
 * issued to the same name by other means, cannot mint a new one. The new certificate
 * says what enrollment would (agentLeaf), whatever the CSR asks for; it is pinned, its
 * predecessor stays accepted when dialing until the agent has loaded the new one.
 */
export async function renewAgentCertificate(ctx: ControllerContext, request: RenewRequest): Promise<Renewal> {
  if (!request.csrPem.trim()) throw new UsageError('renewal request without a CSR');
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    const server = await findServerByName(tx, request.server);
    if (!server) throw new StateError(`server ${request.server} is not in the inventory: enroll it again`);
    const pinned = [server.certFingerprint, server.previousCertFingerprint];
    if (!pinned.includes(request.presentedFingerprint)) {
      throw new StateError(
        `the certificate presented is not the one enrolled for ${server.name}: re-enroll it ('wofleet servers token ${server.name}')`,
      );
    }
    const ca = signingCa(ctx);
    const { certPem } = await issueFromCsr(ca, request.csrPem, agentLeaf(server));
    const record = certificateRecord(certPem, server.id);
    const pinnedRow = await pinRenewedCertificate(
      tx,
      server.name,
      { expected: server.certFingerprint ?? '', fingerprint: record.fingerprint, notAfter: record.notAfter },
      now,
    );
    if (!pinnedRow) throw new StateError(`the certificate of ${server.name} changed during the renewal: try again`);
    await recordIssuedCertificate(tx, record, now);
    await recordAuditEvent(tx, {
      at: now,
      actor: agentActor(server.name),
      serverId: server.id,
      kind: AUDIT_CERTIFICATE_RENEWED,
      subject: server.name,
      data: { certificateFingerprint: record.fingerprint, serial: record.serial, notAfter: record.notAfter.toISOString() },
    });
    ctx.log.info({ server: server.name, serial: record.serial }, 'agent certificate renewed');
    const revokedSerials = (await listRevocations(tx)).map((r) => r.serial);
    return { certPem, caPem: ca.certPem, revokedSerials };
  });
}
