import { AUTO_CANARY_SITE, OFFLINE_POLICY, type CampaignPlan, type CampaignRequest } from '../campaigns/model.js';
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

/** A plan as recorded: those from before campaigns had a canary site, external checks or `--offline` lack them. */
type RecordedPlan = Omit<CampaignPlan, 'request' | 'canarySiteServers' | 'offlineServers'> & {
  request: Omit<CampaignRequest, 'canarySite' | 'checks' | 'offline'> & Partial<Pick<CampaignRequest, 'canarySite' | 'checks' | 'offline'>>;
  canarySiteServers?: readonly string[];
  offlineServers?: readonly string[];
};

/**
 * Such a plan reads as `--canary-site auto`, no external checks, and `--offline fail`
 * without a wait: what such a campaign did with an offline server when it was started.
 */
function withGateDefaults(plan: RecordedPlan): CampaignPlan {
  return {
    ...plan,
    request: {
      ...plan.request,
      canarySite: plan.request.canarySite ?? AUTO_CANARY_SITE,
      checks: plan.request.checks ?? NO_CHECKS,
      offline: plan.request.offline ?? OFFLINE_FAIL_AT_ONCE,
    },
    canarySiteServers: plan.canarySiteServers ?? [],
    offlineServers: plan.offlineServers ?? [],
  };
}

const NO_CHECKS = { http: [], commands: [] };
const OFFLINE_FAIL_AT_ONCE = { policy: OFFLINE_POLICY.fail, waitMs: 0 };
