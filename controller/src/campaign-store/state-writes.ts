import { and, eq } from 'drizzle-orm';
import {
  CAMPAIGN_STATE,
  isActiveCampaignState,
  TARGET_STATE,
  WAVE_STATE,
  type CampaignEvent,
  type CampaignPlan,
} from '../campaigns/model.js';
import { ServerInActiveCampaignError, type CampaignChange, type TargetKey, type TargetPatch } from '../campaigns/repository.js';
import type { TargetState, WaveState } from '../campaigns/model.js';
import { violatedUniqueConstraint } from '../db/sql-error.js';
import type { Database } from '../db/database.js';
import { campaigns, campaignTargets, campaignWaves } from '../db/schema/campaigns.js';
import { STARTED_REASON_PREFIX } from '../campaigns/transitions.js';
import { writeCampaignAudit } from './audit-writes.js';

/**
 * Every state change of the campaign tables. Each also appends the audit row and queues
 * the webhooks to `webhookUrls` (in the caller's transaction: audit-writes.ts) and
 * returns the CampaignEvent to publish once that transaction has committed.
 */

const ONE_ACTIVE_CAMPAIGN = 'campaign_targets_one_active_campaign';

export async function insertCampaign(
  db: Database,
  plan: CampaignPlan,
  createdBy: string,
  now: Date,
  webhookUrls: readonly string[] = [],
): Promise<{ id: string; event: CampaignEvent }> {
  try {
    return await db.transaction(async (tx) => {
      const [row] = await tx
        .insert(campaigns)
        .values({ state: CAMPAIGN_STATE.running, releaseVersion: plan.release.version, plan, createdBy, createdAt: now, updatedAt: now })
        .returning({ id: campaigns.id });
      if (!row) throw new Error('insert into campaigns returned no row');
      await tx.insert(campaignWaves).values(plan.waves.map((w) => ({ campaignId: row.id, index: w.index, state: WAVE_STATE.pending })));
      await tx.insert(campaignTargets).values(
        plan.waves.flatMap((w) =>
          w.servers.map((server) => ({
            campaignId: row.id,
            server,
            wave: w.index,
            state: TARGET_STATE.pending,
            active: true,
            updatedAt: now,
          })),
        ),
      );
      const event = await writeCampaignAudit(
        tx,
        { campaignId: row.id, scope: 'campaign', state: CAMPAIGN_STATE.running, reason: `${STARTED_REASON_PREFIX}${plan.release.version}` },
        createdBy,
        now,
        webhookUrls,
      );
      return { id: row.id, event };
    });
  } catch (err) {
    if (violatedUniqueConstraint(err) === ONE_ACTIVE_CAMPAIGN) {
      throw new ServerInActiveCampaignError('a server of this campaign has just been taken by another active campaign: plan again', {
        cause: err,
      });
    }
    throw err;
  }
}

export async function writeCampaignState(
  tx: Database,
  id: string,
  change: CampaignChange,
  actor: string,
  now: Date,
  webhookUrls: readonly string[] = [],
): Promise<CampaignEvent> {
  const active = isActiveCampaignState(change.state);
  await tx
    .update(campaigns)
    .set({ state: change.state, reason: change.reason, updatedAt: now, finishedAt: active ? null : now })
    .where(eq(campaigns.id, id));
  try {
    await tx.update(campaignTargets).set({ active }).where(eq(campaignTargets.campaignId, id));
  } catch (err) {
    if (violatedUniqueConstraint(err) === ONE_ACTIVE_CAMPAIGN) {
      throw new ServerInActiveCampaignError(`a server of campaign ${id} is now in another active campaign`, { cause: err });
    }
    throw err;
  }
  return writeCampaignAudit(
    tx,
    { campaignId: id, scope: 'campaign', state: change.state, reason: change.reason ?? undefined },
    actor,
    now,
    webhookUrls,
  );
}

export async function writeWaveState(
  tx: Database,
  campaignId: string,
  index: number,
  state: WaveState,
  actor: string,
  now: Date,
  webhookUrls: readonly string[] = [],
): Promise<CampaignEvent> {
  await tx
    .update(campaignWaves)
    .set({
      state,
      ...(state === WAVE_STATE.running ? { startedAt: now } : {}),
      ...(state !== WAVE_STATE.running && state !== WAVE_STATE.pending ? { finishedAt: now } : {}),
    })
    .where(and(eq(campaignWaves.campaignId, campaignId), eq(campaignWaves.index, index)));
  return writeCampaignAudit(tx, { campaignId, scope: 'wave', state, wave: index }, actor, now, webhookUrls);
}

export async function writeTargetState(
  tx: Database,
  target: TargetKey,
  state: TargetState,
  patch: TargetPatch,
  actor: string,
  now: Date,
): Promise<CampaignEvent> {
  await tx
    .update(campaignTargets)
    .set({ ...patch, state, updatedAt: now })
    .where(and(eq(campaignTargets.campaignId, target.campaignId), eq(campaignTargets.server, target.server)));
  return writeCampaignAudit(
    tx,
    { campaignId: target.campaignId, scope: 'target', state, wave: target.wave, server: target.server, reason: patch.reason ?? undefined },
    actor,
    now,
  );
}
