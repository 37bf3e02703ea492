import { and, count, eq, gte, isNull, sql } from 'drizzle-orm';
import type { Database } from './database.js';
import { CAMPAIGN_STATES, campaigns, campaignTargets, TARGET_STATES } from './schema/campaigns.js';
import { SERVER_STATUS, servers, type ServerStatus } from './schema/servers.js';

/**
 * How many rows are in each state, for the controller's metrics (read at scrape time):
 * one GROUP BY each, every known state present (0 when none), so a series never
 * vanishes only because its count fell to zero.
 */

type Counts<S extends string> = Record<S, number>;

function countsOf<S extends string>(states: readonly S[], rows: ReadonlyArray<{ state: S; n: number }>): Counts<S> {
  const counts = Object.fromEntries(states.map((s) => [s, 0])) as Counts<S>;
  for (const row of rows) counts[row.state] = row.n;
  return counts;
}

export async function countServersByStatus(db: Database): Promise<Counts<ServerStatus>> {
  const rows = await db.select({ state: servers.status, n: count() }).from(servers).groupBy(servers.status);
  return countsOf(Object.values(SERVER_STATUS), rows);
}

/** Every campaign ever started, by state (finished ones stay in their final state). */
export async function countCampaignsByState(db: Database): Promise<Counts<(typeof CAMPAIGN_STATES)[number]>> {
  const rows = await db.select({ state: campaigns.state, n: count() }).from(campaigns).groupBy(campaigns.state);
  return countsOf(CAMPAIGN_STATES, rows);
}

/** The targets of active (unfinished) campaigns, by state: finished campaigns' targets would only grow. */
export async function countActiveTargetsByState(db: Database): Promise<Counts<(typeof TARGET_STATES)[number]>> {
  const rows = await db
    .select({ state: campaignTargets.state, n: count() })
    .from(campaignTargets)
    .innerJoin(campaigns, eq(campaigns.id, campaignTargets.campaignId))
    .where(isNull(campaigns.finishedAt))
    .groupBy(campaignTargets.state);
  return countsOf(TARGET_STATES, rows);
}

/** Ids of the unfinished campaigns whose lease `holder` holds and has not let expire (on the database's clock). */
export async function listLeasesHeldBy(db: Database, holder: string): Promise<string[]> {
  const rows = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(and(eq(campaigns.leaseHolder, holder), gte(campaigns.leaseExpiresAt, sql`now()`), isNull(campaigns.finishedAt)));
  return rows.map((r) => r.id);
}
