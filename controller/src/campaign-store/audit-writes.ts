import { CAMPAIGN_AUDIT_KIND } from '../campaigns/repository.js';
import type { CampaignEvent } from '../campaigns/model.js';
import { recordAuditEvent, type NewAuditEvent } from '../db/audit-events.js';
import type { Database } from '../db/database.js';
import { queueCampaignWebhooks } from './webhook-writes.js';

/**
 * Appends the audit row of a campaign transition (in the caller's transaction), queues
 * its webhooks to `webhookUrls` in the same transaction, and returns the event to
 * publish. Every engine and operator transition passes through here.
 */
export async function writeCampaignAudit(
  tx: Database,
  event: Omit<CampaignEvent, 'at'>,
  actor: string,
  now: Date,
  webhookUrls: readonly string[] = [],
): Promise<CampaignEvent> {
  const full: CampaignEvent = { ...event, at: now.toISOString() };
  await recordAuditEvent(tx, campaignAuditRow(full, actor, now));
  await queueCampaignWebhooks(tx, full, webhookUrls);
  return full;
}

/** The audit row of a campaign transition. */
export function campaignAuditRow(event: CampaignEvent, actor: string, now: Date): NewAuditEvent {
  return { at: now, actor, kind: CAMPAIGN_AUDIT_KIND[event.scope], subject: event.server ?? event.campaignId, data: { ...event } };
}
