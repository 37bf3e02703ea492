import { randomUUID } from 'node:crypto';
import { count, eq } from 'drizzle-orm';
import type { CampaignEvent } from '../campaigns/model.js';
import type { Database } from '../db/database.js';
import { campaigns, campaignTargets } from '../db/schema/campaigns.js';
import { enqueueWebhookDeliveries } from '../db/webhook-deliveries.js';
import { webhookEventOf } from '../webhooks/events.js';
import { buildWebhookPayload } from '../webhooks/payload.js';

/**
 * Queues the webhooks of a committed-to-be transition in its own transaction (the
 * outbox: they are sent if and only if the change commits), one row per endpoint with
 * the same event id and body. Transitions no webhook reports queue nothing.
 */
export async function queueCampaignWebhooks(tx: Database, event: CampaignEvent, urls: readonly string[]): Promise<void> {
  if (urls.length === 0) return;
  const name = webhookEventOf(event);
  if (name === undefined) return;
  const [campaign] = await tx
    .select({ release: campaigns.releaseVersion, state: campaigns.state, reason: campaigns.reason })
    .from(campaigns)
    .where(eq(campaigns.id, event.campaignId));
  if (!campaign) return;
  const counted = await tx
    .select({ state: campaignTargets.state, n: count() })
    .from(campaignTargets)
    .where(eq(campaignTargets.campaignId, event.campaignId))
    .groupBy(campaignTargets.state);
  const targetsByState = Object.fromEntries(counted.map((c) => [c.state, c.n]));
  const id = randomUUID();
  const body = JSON.stringify(buildWebhookPayload(id, name, event, { ...campaign, targetsByState }));
  await enqueueWebhookDeliveries(
    tx,
    urls.map((url) => ({ eventId: id, event: name, url, body })),
  );
}
