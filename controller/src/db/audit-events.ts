import { and, desc, eq, gte, or, sql, type SQL } from 'drizzle-orm';
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
    .values(auditValues(event))
    .onConflictDoNothing({ target: auditEvents.sourceEventId })
    .returning();
  return row;
}

/**
 * recordAuditEvent for many events in one statement, in their order (a batch of heartbeats
 * or an offline sweep may bring thousands of servers back or take them offline at once).
 */
export async function recordAuditEvents(db: Database, events: readonly NewAuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db.insert(auditEvents).values(events.map(auditValues)).onConflictDoNothing({ target: auditEvents.sourceEventId });
}

function auditValues(event: NewAuditEvent): typeof auditEvents.$inferInsert {
  return {
    at: event.at,
    actor: event.actor,
    serverId: event.serverId ?? null,
    kind: event.kind,
    subject: event.subject,
    data: event.data ?? {},
    sourceEventId: event.sourceEventId ?? null,
  };
}

/** Which events `listAuditEvents` returns: every given filter must hold. */
export interface AuditFilter {
  /** A server name: the server's own events and those about it (campaign steps on it name it as subject). */
  server?: string;
  /** Campaign rows carry their campaign's id in their data. */
  campaignId?: string;
  since?: Date;
  limit: number;
}

/** An event with the name of its server (null: fleet-wide, or the server was removed). */
export type AuditListing = AuditEventRow & { serverName: string | null };

/** The newest `limit` events that pass the filter, newest first. */
export async function listAuditEvents(db: Database, filter: AuditFilter): Promise<AuditListing[]> {
  const conditions: SQL[] = [];
  if (filter.server !== undefined) {
    const about = or(eq(servers.name, filter.server), eq(auditEvents.subject, filter.server));
    if (about) conditions.push(about);
  }
  if (filter.campaignId !== undefined) conditions.push(sql`${auditEvents.data}->>'campaignId' = ${filter.campaignId}`);
  if (filter.since !== undefined) conditions.push(gte(auditEvents.at, filter.since));
  const rows = await db
    .select({ event: auditEvents, serverName: servers.name })
    .from(auditEvents)
    .leftJoin(servers, eq(servers.id, auditEvents.serverId))
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit);
  return rows.map((r) => ({ ...r.event, serverName: r.serverName }));
}

/** Whether any event is about `subject` (a removed server's name stays in its events). */
export async function hasAuditSubject(db: Database, subject: string): Promise<boolean> {
  const [row] = await db.select({ id: auditEvents.id }).from(auditEvents).where(eq(auditEvents.subject, subject)).limit(1);
  return row !== undefined;
}
