import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { servers } from './servers.js';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * Certificates of the fleet CA the controller knows of: every agent certificate it
 * issued (enrollment, renewal), and operator and controller certificates from the
 * first call they made (they are issued offline, on the CA host). Serials are
 * lower-case hex without leading zeros (`normalizeSerial`).
 */
export const issuedCertificates = pgTable(
  'issued_certificates',
  {
    serial: text('serial').primaryKey(),
    /** The certificate's fleet role: agent, operator, controller. */
    kind: text('kind').notNull(),
    /** The name in its SAN URI (server, operator or controller name). */
    subject: text('subject').notNull(),
    /** The agent's server; null for other kinds and once the server is removed. */
    serverId: uuid('server_id').references(() => servers.id, { onDelete: 'set null' }),
    /** SHA-256 (hex) of the certificate. */
    fingerprint: text('fingerprint').notNull(),
    notBefore: ts('not_before').notNull(),
    notAfter: ts('not_after').notNull(),
    recordedAt: ts('recorded_at').notNull(),
  },
  (t) => [index('issued_certificates_subject_idx').on(t.kind, t.subject)],
);

/**
 * The revocation list: a serial here is refused by the controller on every call and
 * by agents once they have fetched the list. A serial may be revoked without being
 * known (a certificate that never called), so this is not a column of the above.
 */
export const certificateRevocations = pgTable('certificate_revocations', {
  serial: text('serial').primaryKey(),
  reason: text('reason').notNull(),
  revokedAt: ts('revoked_at').notNull(),
  /** operator:<name> */
  revokedBy: text('revoked_by').notNull(),
});
