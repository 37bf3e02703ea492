import type { CampaignEvent } from '../campaigns/model.js';
import type { WebhookEvent } from './events.js';

/**
 * The JSON body of every webhook (docs/WEBHOOKS.md documents it): which event, which
 * campaign and release, and the campaign's targets counted by state at that moment.
 */
export interface WebhookPayload {
  /** Also X-Wofleet-Event-Id: the same on every retry and for every endpoint. */
  id: string;
  event: WebhookEvent;
  /** When the transition was recorded (RFC 3339). */
  time: string;
  campaign: {
    id: string;
    release: string;
    /** The campaign's state after this event (wave-done: its state then, usually running). */
    state: string;
    reason: string | null;
  };
  /** wave-done only: the wave's index (0 is the canary wave) and how it ended. */
  wave: { index: number; state: string } | null;
  /** The campaign's targets (servers) by state, and their total. */
  counts: Record<string, number> & { total: number };
}

export interface CampaignFacts {
  release: string;
  state: string;
  reason: string | null;
  targetsByState: Readonly<Record<string, number>>;
}

export function buildWebhookPayload(id: string, name: WebhookEvent, event: CampaignEvent, facts: CampaignFacts): WebhookPayload {
  const total = Object.values(facts.targetsByState).reduce((sum, n) => sum + n, 0);
  return {
    id,
    event: name,
    time: event.at,
    campaign: { id: event.campaignId, release: facts.release, state: facts.state, reason: facts.reason },
    wave: event.scope === 'wave' && event.wave !== undefined ? { index: event.wave, state: event.state } : null,
    counts: { ...facts.targetsByState, total },
  };
}
