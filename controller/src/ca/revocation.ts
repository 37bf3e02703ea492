import { normalizeSerial, StateError, UsageError } from '@wofleet/shared';
import type { Actor, ControllerContext } from '../context/index.js';
import {
  findIssuedCertificate,
  findServerByName,
  insertRevocations,
  listIssuedCertificates,
  listRevocations,
  recordAuditEvent,
  ServerNotFoundError,
  unpinCertificates,
  unrevokedServerSerials,
  type CertificateListing,
} from '../db/index.js';

/**
 * The revocation list. A revoked serial is refused by the controller on the next call
 * (authorize.ts reads the list in the database every time) and by agents once they
 * have fetched the list (at start, on every certificate check, with every renewal).
 * Revoking an agent's certificate also unpins it, so the controller stops dialing it.
 */
export const AUDIT_CERTIFICATE_REVOKED = 'certificate-revoked';
const MAX_REASON_LENGTH = 200;

export type RevokeTarget = { serial: string } | { server: string };

/** RevokeCertificate names a serial or a server (empty strings are unset, as on the wire), never both. */
export function revokeTarget(request: { serial: string; server: string }): RevokeTarget {
  if ((request.serial === '') === (request.server === '')) throw new UsageError('name either a certificate serial or a server to revoke');
  return request.serial ? { serial: request.serial } : { server: request.server };
}

export async function revokeCertificates(ctx: ControllerContext, target: RevokeTarget, reason: string, actor: Actor): Promise<string[]> {
  const why = reason.trim() || 'unspecified';
  if (why.length > MAX_REASON_LENGTH || /\p{Cc}/u.test(why)) {
    throw new UsageError(`invalid revocation reason: at most ${MAX_REASON_LENGTH} printable characters`);
  }
  const now = ctx.clock.now();
  return ctx.db.transaction(async (tx) => {
    let serials: string[];
    let serverId: string | null = null;
    if ('server' in target) {
      const server = await findServerByName(tx, target.server);
      if (!server) throw new ServerNotFoundError(target.server);
      serverId = server.id;
      serials = await unrevokedServerSerials(tx, server.id);
      if (serials.length === 0) throw new StateError(`server ${server.name} has no unrevoked certificate the controller issued`);
    } else {
      serials = [normalizeSerial(target.serial)];
      serverId = (await findIssuedCertificate(tx, serials[0] as string))?.serverId ?? null;
    }
    const revoked = await insertRevocations(
      tx,
      serials.map((serial) => ({ serial, reason: why, revokedAt: now, revokedBy: actor })),
    );
    if (serverId !== null) {
      const fingerprints: string[] = [];
      for (const serial of revoked) {
        const cert = await findIssuedCertificate(tx, serial);
        if (cert) fingerprints.push(cert.fingerprint);
      }
      await unpinCertificates(tx, serverId, fingerprints, now);
    }
    for (const serial of revoked) {
      await recordAuditEvent(tx, {
        at: now,
        actor,
        serverId,
        kind: AUDIT_CERTIFICATE_REVOKED,
        subject: serial,
        data: { reason: why },
      });
    }
    ctx.log.info({ serials: revoked, actor }, 'certificates revoked');
    return revoked;
  });
}

export async function revokedSerials(ctx: ControllerContext): Promise<string[]> {
  return (await listRevocations(ctx.db)).map((r) => r.serial);
}

export async function listCertificates(ctx: ControllerContext): Promise<CertificateListing[]> {
  return listIssuedCertificates(ctx.db);
}
