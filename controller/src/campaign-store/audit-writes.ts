import { CAMPAIGN_AUDIT_KIND } from '../campaigns/repository.js';
import type { CampaignEvent } from '../campaigns/model.js';
import { recordAuditEvent } from '../db/audit-events.js';
import type { Database } from '../db/database.js';

/** Appends the audit row of a campaign transition (in the caller's transaction) and returns the event to publish. */
export async function writeCampaignAudit(tx: Database, event: Omit<CampaignEvent, 'at'>, actor: string, now: Date): Promise<CampaignEvent> {
  const full: CampaignEvent = { ...event, at: now.toISOString() };
  await recordAuditEvent(tx, {
    at: now,
    actor,
    kind: CAMPAIGN_AUDIT_KIND[event.scope],
    subject: event.server ?? event.campaignId,
    data: { ...full },
  });
  return full;
}
