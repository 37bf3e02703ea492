import type { CampaignView } from './model.js';
import type { CampaignRecord } from './repository.js';

/** A campaign as the operator surface shows it (RolloutService, `wofleet rollout`). */
export function toCampaignView(record: CampaignRecord): CampaignView {
  const { campaign } = record;
  return {
    id: campaign.id,
    state: campaign.state,
    plan: campaign.plan,
    createdBy: campaign.createdBy,
    createdAt: campaign.createdAt,
    updatedAt: campaign.updatedAt,
    finishedAt: campaign.finishedAt,
    reason: campaign.reason,
    waves: record.waves.map((w) => ({ index: w.index, state: w.state, startedAt: w.startedAt, finishedAt: w.finishedAt })),
    targets: record.targets.map((t) => ({
      server: t.server,
      wave: t.wave,
      state: t.state,
      fromRelease: t.fromRelease,
      fromVersion: t.fromVersion,
      reason: t.reason,
      offlineSince: t.offlineSince,
      updatedAt: t.updatedAt,
    })),
  };
}
