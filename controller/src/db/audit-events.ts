import { desc, eq } from 'drizzle-orm';
import type { Database } from './database.js';
import { auditEvents } from './schema/audit-events.js';
import { servers } from './schema/servers.js';

/** Every query on `audit_events`: the append-only record of what happened to the fleet. */

export type AuditEventRow = typeof auditEvents.$inferSelect;

export interface NewAuditEvent {
  at: Date;
  actor: string;
  serverId?: string | null;
  kind: string;
  subject: string;
  data?: Record<string, unknown>;
  /** The agent event id, when the event came from an agent. */
  sourceEventId?: string | null;
}

/**
 * Appends an event. An event whose `sourceEventId` is already recorded (NATS
 * redelivered it) is not recorded again: returns undefined then.
 */
export async function recordAuditEvent(db: Database, event: NewAuditEvent): Promise<AuditEventRow | undefined> {
  const [row] = await db
    .insert(auditEvents)
    .values({
      at: event.at,
      actor: event.actor,
      serverId: event.serverId ?? null,
      kind: event.kind,
      subject: event.subject,
      data: event.data ?? {},
      sourceEventId: event.sourceEventId ?? null,
    })
    .onConflictDoNothing({ target: auditEvents.sourceEventId })
    .returning();
  return row;
}

/** The newest `limit` events, newest first; with `server`, only that (existing) server's. */
export async function listAuditEvents(db: Database, filter: { server?: string; limit: number }): Promise<AuditEventRow[]> {
  if (filter.server === undefined) {
    return db.select().from(auditEvents).orderBy(desc(auditEvents.id)).limit(filter.limit);
  }
  const rows = await db
    .select({ event: auditEvents })
    .from(auditEvents)
    .innerJoin(servers, eq(servers.id, auditEvents.serverId))
    .where(eq(servers.name, filter.server))
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit);
  return rows.map((r) => r.event);
}
