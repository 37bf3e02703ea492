import { sql } from 'drizzle-orm';
import { bigserial, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { servers } from './servers.js';

/** Everything that happened to the fleet: agent events and operator actions, append only. */
export const auditEvents = pgTable(
  'audit_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    /** "agent:<server>", "operator:<name>", "controller". */
    actor: text('actor').notNull(),
    /** Null for fleet-wide events and once the server is removed (the subject keeps its name). */
    serverId: uuid('server_id').references(() => servers.id, { onDelete: 'set null' }),
    kind: text('kind').notNull(),
    /** What the event is about: a server name, a domain, a release version. */
    subject: text('subject').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    /** The agent event id; a redelivered NATS event is recorded once. */
    sourceEventId: text('source_event_id').unique('audit_events_source_event_id_unique'),
  },
  (t) => [
    index('audit_events_server_idx').on(t.serverId, t.id),
    // `wofleet audit --campaign ID`: campaign rows carry the id in their data.
    index('audit_events_campaign_idx').on(sql`(${t.data}->>'campaignId')`, t.id),
  ],
);
