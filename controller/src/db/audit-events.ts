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
 * or an offline sweep may bring thousands of servers back or take them offline at once;
 * a campaign's group commit writes hundreds of step transitions). The rows go as one JSON
 * parameter: drizzle built a parameter for each of a row's seven values, a few percent of
 * the controller's CPU while a 10,000-server campaign stages.
 */
export async function recordAuditEvents(db: Database, events: readonly NewAuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((event) => {
    const row = auditValues(event);
    return {
      at: row.at.toISOString(),
      actor: row.actor,
      server_id: row.serverId,
      kind: row.kind,
      subject: row.subject,
      data: row.data,
      source_event_id: row.sourceEventId,
    };
  });
  await db.execute(sql`
    insert into ${auditEvents} (at, actor, server_id, kind, subject, data, source_event_id)
    select at, actor, server_id, kind, subject, data, source_event_id
    from rows from (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as (at timestamptz, actor text, server_id uuid, kind text, subject text, data jsonb, source_event_id text))
      with ordinality as e(at, actor, server_id, kind, subject, data, source_event_id, n)
    order by n
    on conflict (source_event_id) do nothing`);
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
