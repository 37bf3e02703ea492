import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/database.js';
import { campaigns } from '../db/schema/campaigns.js';

/**
 * The lease columns of a campaign (campaigns/lease.ts says why a lease): expiry from
 * the database's clock, so every controller sharing it agrees on it.
 * CampaignRepository.acquireLease documents the rules.
 */
export async function acquireLease(
  db: Database,
  id: string,
  holder: string,
  leaseMs: number,
  mode: 'start' | 'renew',
): Promise<number | undefined> {
  const renewing = mode === 'renew';
  const [row] = await db
    .update(campaigns)
    .set({
      leaseToken: sql`case when ${campaigns.leaseHolder} = ${holder} and ${renewing} then ${campaigns.leaseToken} else ${campaigns.leaseToken} + 1 end`,
      leaseHolder: holder,
      leaseExpiresAt: sql`now() + ${`${leaseMs} milliseconds`}::interval`,
    })
    .where(
      and(
        eq(campaigns.id, id),
        sql`(${campaigns.leaseHolder} is null or ${campaigns.leaseHolder} = ${holder} or ${campaigns.leaseExpiresAt} < now())`,
      ),
    )
    .returning({ token: campaigns.leaseToken });
  return row?.token;
}

export async function releaseLease(db: Database, id: string, holder: string, token: number): Promise<void> {
  await db
    .update(campaigns)
    .set({ leaseHolder: null, leaseExpiresAt: null })
    .where(and(eq(campaigns.id, id), eq(campaigns.leaseHolder, holder), eq(campaigns.leaseToken, token)));
}
