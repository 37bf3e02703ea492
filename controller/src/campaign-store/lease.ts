import { and, eq, sql } from 'drizzle-orm';
import { recordAuditEvent } from '../db/audit-events.js';
import type { Database } from '../db/database.js';
import { campaigns } from '../db/schema/campaigns.js';

/** The audit kind of a lease taken from another (expired) holder: one row per hand-over. */
export const LEASE_TAKEOVER_AUDIT_KIND = 'campaign.lease-takeover';

/**
 * The lease columns of a campaign (campaigns/lease.ts says why a lease): expiry from
 * the database's clock, so every controller sharing it agrees on it.
 * CampaignRepository.acquireLease documents the rules. The row is locked first, so the
 * decision and the write see the same holder, and a takeover is audited with it.
 */
export async function acquireLease(
  db: Database,
  id: string,
  holder: string,
  leaseMs: number,
  mode: 'start' | 'renew',
): Promise<number | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select({
        holder: campaigns.leaseHolder,
        token: campaigns.leaseToken,
        live: sql<boolean>`coalesce(${campaigns.leaseExpiresAt} >= now(), false)`,
        now: sql<Date>`now()`.mapWith(campaigns.leaseExpiresAt),
      })
      .from(campaigns)
      .where(eq(campaigns.id, id))
      .for('update');
    if (!row) return undefined;
    const mine = row.holder === holder;
    // Renewing never takes a lease; starting takes a free or expired one, or this holder's own.
    if (mode === 'renew' ? !mine : !mine && row.holder !== null && row.live) return undefined;
    const token = mode === 'renew' ? row.token : row.token + 1;
    await tx
      .update(campaigns)
      .set({ leaseToken: token, leaseHolder: holder, leaseExpiresAt: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
      .where(eq(campaigns.id, id));
    if (row.holder !== null && !mine) {
      await recordAuditEvent(tx, {
        at: row.now,
        actor: `controller:${holder}`,
        kind: LEASE_TAKEOVER_AUDIT_KIND,
        subject: id,
        data: { campaignId: id, from: row.holder, to: holder, token },
      });
    }
    return token;
  });
}

export async function releaseLease(db: Database, id: string, holder: string, token: number): Promise<void> {
  await db
    .update(campaigns)
    .set({ leaseHolder: null, leaseExpiresAt: null })
    .where(and(eq(campaigns.id, id), eq(campaigns.leaseHolder, holder), eq(campaigns.leaseToken, token)));
}
