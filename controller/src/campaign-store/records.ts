import type { CampaignPlan } from '../campaigns/model.js';
import type { CampaignRow } from '../campaigns/repository.js';
import type { campaigns } from '../db/schema/campaigns.js';

/** A campaigns row as the engine sees it: the plan is the engine's own JSON, written from a CampaignPlan. */
export function toCampaignRow(row: typeof campaigns.$inferSelect): CampaignRow {
  return {
    id: row.id,
    state: row.state,
    releaseVersion: row.releaseVersion,
    plan: row.plan as CampaignPlan,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
    reason: row.reason,
  };
}
