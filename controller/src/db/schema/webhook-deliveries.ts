import { sql } from 'drizzle-orm';
import { bigserial, index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/**
 * The webhook outbox: one row per notification and endpoint, written in the same
 * transaction as the campaign change it reports, delivered at least once by whichever
 * controller claims it (webhooks/worker.ts). Times are the database's clock, so every
 * controller sharing the table agrees on them.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** The notification's id (X-Wofleet-Event-Id): the same for each endpoint it goes to. */
    eventId: uuid('event_id').notNull(),
    event: text('event').notNull(),
    url: text('url').notNull(),
    /** The exact JSON body signed and sent on every attempt. */
    body: text('body').notNull(),
    createdAt: ts('created_at').notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull().defaultNow(),
    /** The controller delivering it now, until claimedUntil: no other one takes it meanwhile. */
    claimedBy: text('claimed_by'),
    claimedUntil: ts('claimed_until'),
    lastError: text('last_error'),
    deliveredAt: ts('delivered_at'),
    /** Set once retries stopped (past the retry period) without a 2xx answer. */
    abandonedAt: ts('abandoned_at'),
  },
  (t) => [index('webhook_deliveries_due_idx').on(t.nextAttemptAt).where(sql`${t.deliveredAt} is null and ${t.abandonedAt} is null`)],
);
