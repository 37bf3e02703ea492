import { and, asc, desc, eq, gt, inArray, lt, notInArray, or } from 'drizzle-orm';
import { CAMPAIGN_STATE, isActiveCampaignState, type CampaignState } from '../campaigns/model.js';
import type { CampaignHead, CampaignLock, CampaignPage, CampaignRecord } from '../campaigns/repository.js';
import type { Database } from '../db/database.js';
import { campaigns, campaignTargets, campaignWaves } from '../db/schema/campaigns.js';
import { toCampaignRow } from './records.js';

/** The campaign tables' reads. */

const ACTIVE_STATES: CampaignState[] = Object.values(CAMPAIGN_STATE).filter(isActiveCampaignState);

export async function loadCampaign(db: Database, id: string): Promise<CampaignRecord | undefined> {
  const [campaign] = await db.select().from(campaigns).where(eq(campaigns.id, id));
  if (!campaign) return undefined;
  const waves = await db.select().from(campaignWaves).where(eq(campaignWaves.campaignId, id)).orderBy(asc(campaignWaves.index));
  const targets = await db
    .select()
    .from(campaignTargets)
    .where(eq(campaignTargets.campaignId, id))
    .orderBy(asc(campaignTargets.wave), asc(campaignTargets.server));
  return { campaign: toCampaignRow(campaign), waves, targets };
}

export async function readCampaignState(db: Database, id: string): Promise<CampaignState | undefined> {
  const [row] = await db.select({ state: campaigns.state }).from(campaigns).where(eq(campaigns.id, id));
  return row?.state;
}

export async function readCampaignHead(db: Database, id: string): Promise<CampaignHead | undefined> {
  const [row] = await db.select({ state: campaigns.state, updatedAt: campaigns.updatedAt }).from(campaigns).where(eq(campaigns.id, id));
  return row;
}

export async function listCampaignIds(db: Database, filter: { active?: boolean }, page?: CampaignPage): Promise<string[]> {
  const after = page?.after;
  const rows = await db
    .select({ id: campaigns.id })
    .from(campaigns)
    .where(
      and(
        filter.active === undefined
          ? undefined
          : filter.active
            ? inArray(campaigns.state, ACTIVE_STATES)
            : notInArray(campaigns.state, ACTIVE_STATES),
        // Keyset: older, or as old with a greater id (the list's order).
        after === undefined
          ? undefined
          : or(lt(campaigns.createdAt, after.createdAt), and(eq(campaigns.createdAt, after.createdAt), gt(campaigns.id, after.id))),
      ),
    )
    .orderBy(desc(campaigns.createdAt), asc(campaigns.id))
    .limit(page?.limit ?? Number.MAX_SAFE_INTEGER);
  return rows.map((r) => r.id);
}

export async function findActiveCampaignsOf(
  db: Database,
  servers: readonly string[],
): Promise<Array<{ server: string; campaignId: string }>> {
  if (servers.length === 0) return [];
  return db
    .select({ server: campaignTargets.server, campaignId: campaignTargets.campaignId })
    .from(campaignTargets)
    .where(and(eq(campaignTargets.active, true), inArray(campaignTargets.server, [...servers])))
    .orderBy(asc(campaignTargets.server));
}

/**
 * Locks the campaign row for the rest of the transaction and returns its state and
 * lease (not the plan: every transition of every target takes this lock, and the plan
 * of a large campaign is tens of kilobytes of JSON).
 */
export async function lockCampaign(tx: Database, id: string): Promise<CampaignLock | undefined> {
  const [row] = await tx
    .select({ state: campaigns.state, leaseHolder: campaigns.leaseHolder, leaseToken: campaigns.leaseToken })
    .from(campaigns)
    .where(eq(campaigns.id, id))
    .for('update');
  return row;
}
