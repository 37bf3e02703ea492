import { CAMPAIGN_STATE, WAVE_STATE, type CampaignEvent } from '../campaigns/model.js';
import { STARTED_REASON_PREFIX } from '../campaigns/transitions.js';

/**
 * The campaign events webhooks report, and which recorded transitions they are. Every
 * transition the engine commits passes through here (campaign-store/webhook-writes.ts);
 * the others (targets, running again after a resume) notify nobody.
 */
export const WEBHOOK_EVENT = {
  started: 'campaign.started',
  waveDone: 'campaign.wave-done',
  paused: 'campaign.paused',
  halted: 'campaign.halted',
  succeeded: 'campaign.succeeded',
  rolledBack: 'campaign.rolled-back',
} as const;
export type WebhookEvent = (typeof WEBHOOK_EVENT)[keyof typeof WEBHOOK_EVENT];

const CAMPAIGN_STATE_EVENTS: Readonly<Partial<Record<string, WebhookEvent>>> = {
  [CAMPAIGN_STATE.paused]: WEBHOOK_EVENT.paused,
  // Waiting for `rollout promote` after the canary wave is a pause the engine made.
  [CAMPAIGN_STATE.awaitingPromotion]: WEBHOOK_EVENT.paused,
  [CAMPAIGN_STATE.failed]: WEBHOOK_EVENT.halted,
  [CAMPAIGN_STATE.aborted]: WEBHOOK_EVENT.halted,
  [CAMPAIGN_STATE.succeeded]: WEBHOOK_EVENT.succeeded,
  [CAMPAIGN_STATE.rolledBack]: WEBHOOK_EVENT.rolledBack,
};

/** The webhook event a committed transition is, if any. */
export function webhookEventOf(event: Pick<CampaignEvent, 'scope' | 'state' | 'reason'>): WebhookEvent | undefined {
  if (event.scope === 'wave') {
    return event.state === WAVE_STATE.succeeded || event.state === WAVE_STATE.failed ? WEBHOOK_EVENT.waveDone : undefined;
  }
  if (event.scope !== 'campaign') return undefined;
  if (event.state === CAMPAIGN_STATE.running) return event.reason?.startsWith(STARTED_REASON_PREFIX) ? WEBHOOK_EVENT.started : undefined;
  return CAMPAIGN_STATE_EVENTS[event.state];
}
