import { AUTO_CANARY_SITE, type CampaignPlan, type CampaignRequest } from '../campaigns/model.js';
import type { CampaignRow } from '../campaigns/repository.js';
import type { campaigns } from '../db/schema/campaigns.js';

/** A campaigns row as the engine sees it: the plan is the engine's own JSON, written from a CampaignPlan. */
export function toCampaignRow(row: typeof campaigns.$inferSelect): CampaignRow {
  return {
    id: row.id,
    state: row.state,
    releaseVersion: row.releaseVersion,
    plan: withGateDefaults(row.plan as RecordedPlan),
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    finishedAt: row.finishedAt,
    reason: row.reason,
  };
}

/** A plan as recorded: those from before campaigns had a canary site and external checks lack them. */
type RecordedPlan = Omit<CampaignPlan, 'request' | 'canarySiteServers'> & {
  request: Omit<CampaignRequest, 'canarySite' | 'checks'> & Partial<Pick<CampaignRequest, 'canarySite' | 'checks'>>;
  canarySiteServers?: readonly string[];
};

/** Such a plan reads as `--canary-site auto` and no external checks. */
function withGateDefaults(plan: RecordedPlan): CampaignPlan {
  return {
    ...plan,
    request: { ...plan.request, canarySite: plan.request.canarySite ?? AUTO_CANARY_SITE, checks: plan.request.checks ?? NO_CHECKS },
    canarySiteServers: plan.canarySiteServers ?? [],
  };
}

const NO_CHECKS = { http: [], commands: [] };
