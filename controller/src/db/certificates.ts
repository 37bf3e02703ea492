import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from './database.js';
import { certificateRevocations, issuedCertificates } from './schema/certificates.js';
import { servers } from './schema/servers.js';
import { ServerNotFoundError, type ServerRow } from './servers.js';

/** Every query on the issued certificates, the revocation list and the servers' pinned certificates. */

export type IssuedCertificateRow = typeof issuedCertificates.$inferSelect;
export type NewIssuedCertificate = Omit<IssuedCertificateRow, 'recordedAt'>;

export interface CertificateListing extends IssuedCertificateRow {
  revokedAt: Date | null;
  revokeReason: string | null;
}

export interface Revocation {
  serial: string;
  reason: string;
  revokedAt: Date;
  revokedBy: string;
}

/** Records a certificate; one already recorded (same serial) is left as it is. */
export async function recordIssuedCertificate(db: Database, cert: NewIssuedCertificate, now: Date): Promise<void> {
  await db
    .insert(issuedCertificates)
    .values({ ...cert, recordedAt: now })
    .onConflictDoNothing({ target: issuedCertificates.serial });
}

/** Every known certificate with its revocation, newest expiry first within each kind. */
export async function listIssuedCertificates(db: Database): Promise<CertificateListing[]> {
  return db
    .select({
      serial: issuedCertificates.serial,
      kind: issuedCertificates.kind,
      subject: issuedCertificates.subject,
      serverId: issuedCertificates.serverId,
      fingerprint: issuedCertificates.fingerprint,
      notBefore: issuedCertificates.notBefore,
      notAfter: issuedCertificates.notAfter,
      recordedAt: issuedCertificates.recordedAt,
      revokedAt: certificateRevocations.revokedAt,
      revokeReason: certificateRevocations.reason,
    })
    .from(issuedCertificates)
    .leftJoin(certificateRevocations, eq(certificateRevocations.serial, issuedCertificates.serial))
    .orderBy(asc(issuedCertificates.kind), asc(issuedCertificates.subject), asc(issuedCertificates.notAfter));
}

/** The serials of a server's certificates not revoked yet. */
export async function unrevokedServerSerials(db: Database, serverId: string): Promise<string[]> {
  const rows = await db
    .select({ serial: issuedCertificates.serial })
    .from(issuedCertificates)
    .leftJoin(certificateRevocations, eq(certificateRevocations.serial, issuedCertificates.serial))
    .where(and(eq(issuedCertificates.serverId, serverId), isNull(certificateRevocations.serial)));
  return rows.map((r) => r.serial);
}

export async function findIssuedCertificate(db: Database, serial: string): Promise<IssuedCertificateRow | undefined> {
  const [row] = await db.select().from(issuedCertificates).where(eq(issuedCertificates.serial, serial));
  return row;
}

/** Adds serials to the revocation list; returns those that were not on it yet. */
export async function insertRevocations(db: Database, revocations: readonly Revocation[]): Promise<string[]> {
  if (revocations.length === 0) return [];
  const rows = await db
    .insert(certificateRevocations)
    .values([...revocations])
    .onConflictDoNothing({ target: certificateRevocations.serial })
    .returning({ serial: certificateRevocations.serial });
  return rows.map((r) => r.serial);
}

export async function isSerialRevoked(db: Database, serial: string): Promise<boolean> {
  const [row] = await db
    .select({ serial: certificateRevocations.serial })
    .from(certificateRevocations)
    .where(eq(certificateRevocations.serial, serial));
  return row !== undefined;
}

export async function listRevocations(db: Database): Promise<Revocation[]> {
  return db.select().from(certificateRevocations).orderBy(asc(certificateRevocations.revokedAt), asc(certificateRevocations.serial));
}

/**
 * Pins a renewed certificate: the new one becomes the server's, the one it replaces
 * stays accepted (previous) until the next change. Only when `expected` is still the
 * pinned fingerprint: two renewals racing with the same old certificate, one wins.
 */
export async function pinRenewedCertificate(
  db: Database,
  name: string,
  pin: { expected: string; fingerprint: string; notAfter: Date },
  now: Date,
): Promise<ServerRow | undefined> {
  const [row] = await db
    .update(servers)
    .set({ previousCertFingerprint: pin.expected, certFingerprint: pin.fingerprint, certNotAfter: pin.notAfter, updatedAt: now })
    .where(and(eq(servers.name, name), eq(servers.certFingerprint, pin.expected)))
    .returning();
  return row;
}

/** A revoked certificate is no longer accepted when dialing its server. */
export async function unpinCertificates(db: Database, serverId: string, fingerprints: readonly string[], now: Date): Promise<void> {
  if (fingerprints.length === 0) return;
  await db
    .update(servers)
    .set({
      certFingerprint: sql`case when ${inArray(servers.certFingerprint, [...fingerprints])} then null else ${servers.certFingerprint} end`,
      previousCertFingerprint: sql`case when ${inArray(servers.previousCertFingerprint, [...fingerprints])} then null else ${servers.previousCertFingerprint} end`,
      updatedAt: now,
    })
    .where(eq(servers.id, serverId));
}

export async function findServerById(db: Database, id: string): Promise<ServerRow> {
  const [row] = await db.select().from(servers).where(eq(servers.id, id));
  if (!row) throw new ServerNotFoundError(id);
  return row;
}

/** The agent certificates the controller accepts when it dials `name`: the pinned one and, after a renewal, its predecessor. */
export async function pinnedFingerprints(db: Database, name: string): Promise<string[]> {
  return (await pinnedFingerprintsOf(db, [name])).get(name) ?? [];
}

/** The same for several servers in one query; a server not registered is left out. */
export async function pinnedFingerprintsOf(db: Database, names: readonly string[]): Promise<Map<string, string[]>> {
  const rows = await db
    .select({ name: servers.name, current: servers.certFingerprint, previous: servers.previousCertFingerprint })
    .from(servers)
    .where(inArray(servers.name, [...names]));
  return new Map(rows.map((row) => [row.name, [row.current, row.previous].filter((f): f is string => typeof f === 'string')]));
}
