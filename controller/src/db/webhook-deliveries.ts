import { and, asc, eq, inArray, isNull, lte, or, sql } from 'drizzle-orm';
import type { Database } from './database.js';
import { webhookDeliveries } from './schema/webhook-deliveries.js';

/**
 * The webhook outbox's SQL (schema/webhook-deliveries.ts). Every time is the
 * database's `now()`, so controllers with skewed clocks agree on what is due.
 */

export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;

export interface NewWebhookDelivery {
  eventId: string;
  event: string;
  url: string;
  body: string;
}

/** A delivery claimed for one attempt, with the database's time of the claim. */
export interface ClaimedWebhookDelivery {
  id: number;
  eventId: string;
  event: string;
  url: string;
  body: string;
  /** This attempt's number, from 1. */
  attempt: number;
  createdAt: Date;
  claimedAt: Date;
}

/** Queues deliveries, in the caller's transaction. */
export async function enqueueWebhookDeliveries(db: Database, rows: readonly NewWebhookDelivery[]): Promise<void> {
  if (rows.length > 0) await db.insert(webhookDeliveries).values([...rows]);
}

const interval = (ms: number) => sql`now() + ${`${Math.max(0, Math.round(ms))} milliseconds`}::interval`;

/**
 * Claims up to `limit` due deliveries, oldest first, for `holder` until `claimMs` from
 * now. Rows another controller is claiming at this instant are skipped (SKIP LOCKED),
 * and a claim keeps them from every other controller until it runs out, so each
 * attempt is made by one controller; a claim left by a controller that died runs out
 * and the row is due again.
 */
export async function claimDueWebhookDeliveries(
  db: Database,
  claim: { holder: string; claimMs: number; limit: number },
): Promise<ClaimedWebhookDelivery[]> {
  const due = db
    .select({ id: webhookDeliveries.id })
    .from(webhookDeliveries)
    .where(
      and(
        isNull(webhookDeliveries.deliveredAt),
        isNull(webhookDeliveries.abandonedAt),
        lte(webhookDeliveries.nextAttemptAt, sql`now()`),
        or(isNull(webhookDeliveries.claimedUntil), lte(webhookDeliveries.claimedUntil, sql`now()`)),
      ),
    )
    .orderBy(asc(webhookDeliveries.id))
    .limit(claim.limit)
    .for('update', { skipLocked: true });
  const rows = await db
    .update(webhookDeliveries)
    .set({ claimedBy: claim.holder, claimedUntil: interval(claim.claimMs), attempts: sql`${webhookDeliveries.attempts} + 1` })
    .where(inArray(webhookDeliveries.id, due))
    .returning({
      id: webhookDeliveries.id,
      eventId: webhookDeliveries.eventId,
      event: webhookDeliveries.event,
      url: webhookDeliveries.url,
      body: webhookDeliveries.body,
      attempt: webhookDeliveries.attempts,
      createdAt: webhookDeliveries.createdAt,
      claimedAt: sql<Date>`now()`.mapWith(webhookDeliveries.createdAt),
    });
  return rows.sort((a, b) => a.id - b.id);
}

const claimedBy = (id: number, holder: string) => and(eq(webhookDeliveries.id, id), eq(webhookDeliveries.claimedBy, holder));

/** The endpoint answered 2xx. */
export async function recordWebhookDelivered(db: Database, id: number, holder: string): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({ deliveredAt: sql`now()`, claimedBy: null, claimedUntil: null, lastError: null })
    .where(claimedBy(id, holder));
}

/** The attempt failed: try again after `retryInMs`, or (undefined) give the delivery up. */
export async function recordWebhookFailure(
  db: Database,
  id: number,
  holder: string,
  error: string,
  retryInMs: number | undefined,
): Promise<void> {
  await db
    .update(webhookDeliveries)
    .set({
      lastError: error,
      claimedBy: null,
      claimedUntil: null,
      ...(retryInMs === undefined ? { abandonedAt: sql`now()` } : { nextAttemptAt: interval(retryInMs) }),
    })
    .where(claimedBy(id, holder));
}

/** Every delivery, oldest first (tests, and an operator's look with psql has the same columns). */
export async function listWebhookDeliveries(db: Database): Promise<WebhookDeliveryRow[]> {
  return db.select().from(webhookDeliveries).orderBy(asc(webhookDeliveries.id));
}
