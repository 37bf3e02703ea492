import type { NatsConnection } from 'nats';
import { z } from 'zod';
import { countField, describeError, identifierField, instantField, printable, textField, type Logger } from '@wofleet/shared';
import {
  CAMPAIGN_STATE,
  campaignEventSubject,
  TARGET_STATE,
  WAVE_STATE,
  type CampaignEvent,
  type CampaignView,
} from '../campaigns/index.js';
import type { CampaignChanges } from './campaign-changes.js';

/**
 * Campaign events on NATS (core, at most once; Postgres stays the truth): the
 * controller publishes each committed change on `campaignEventSubject(id)`, watchers
 * subscribe. Published JSON is checked on receipt like any NATS message.
 */

/**
 * One message of WatchRollout: the campaign after a change, the change (none for the
 * snapshot and for changes seen by polling), and what differs from the view of the
 * previous message (none on the first).
 */
export interface CampaignUpdate {
  event: CampaignEvent | undefined;
  view: CampaignView;
  changes: CampaignChanges | undefined;
}

/** Delivers every message published on `subject`; resolves once nothing published from now on can be missed. */
export type SubscribeToSubject = (subject: string, deliver: (payload: Uint8Array) => void) => Promise<{ close(): void }>;

/** How long a subscription may take to be confirmed before the watch polls instead. */
const SUBSCRIBE_TIMEOUT_MS = 2_000;

export function natsSubscriber(nc: NatsConnection): SubscribeToSubject {
  return async (subject, deliver) => {
    if (nc.isClosed()) throw new Error('the NATS connection is closed');
    const sub = nc.subscribe(subject, { callback: (err, msg) => (err ? undefined : deliver(msg.data)) });
    let timer: NodeJS.Timeout | undefined;
    try {
      // The server has the subscription once a flush round trip is back.
      await Promise.race([
        nc.flush(),
        new Promise(
          (_resolve, reject) =>
            (timer = setTimeout(
              () => reject(new Error(`NATS did not confirm the subscription within ${SUBSCRIBE_TIMEOUT_MS} ms`)),
              SUBSCRIBE_TIMEOUT_MS,
            )),
        ),
      ]);
    } catch (err) {
      sub.unsubscribe();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return { close: () => sub.unsubscribe() };
  };
}

/** An event is a few hundred bytes; room for a reason of 4,096 characters. */
export const CAMPAIGN_EVENT_MAX_BYTES = 16 * 1024;

const anyState = z.enum([...Object.values(CAMPAIGN_STATE), ...Object.values(WAVE_STATE), ...Object.values(TARGET_STATE)]);
/** Whoever can publish on the subject can send one; what reaches `rollout watch` follows the message field rules. */
const campaignEventSchema = z.object({
  campaignId: identifierField(64),
  at: instantField,
  scope: z.enum(['campaign', 'wave', 'target']),
  state: anyState,
  wave: countField.optional(),
  server: identifierField(63).optional(),
  reason: textField().optional(),
});

/** A CampaignEvent as published on NATS, checked; undefined (with why) for anything else. */
export function parseCampaignEvent(payload: Uint8Array): { ok: true; event: CampaignEvent } | { ok: false; reason: string } {
  if (payload.byteLength > CAMPAIGN_EVENT_MAX_BYTES)
    return { ok: false, reason: `${payload.byteLength} bytes, over the ${CAMPAIGN_EVENT_MAX_BYTES} allowed` };
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch (err) {
    return { ok: false, reason: `not JSON: ${describeError(err)}` };
  }
  const parsed = campaignEventSchema.safeParse(json);
  return parsed.success
    ? { ok: true, event: parsed.data }
    : { ok: false, reason: printable(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), 500) };
}

/** Publishes a committed CampaignEvent; a failure (NATS down) is logged: watchers fall back to polling. */
export function natsCampaignPublisher(nc: NatsConnection, log: Logger): (event: CampaignEvent) => void {
  return (event) => {
    try {
      nc.publish(campaignEventSubject(event.campaignId), JSON.stringify(event));
    } catch (err) {
      log.warn({ err, campaignId: event.campaignId }, 'cannot publish a campaign event');
    }
  };
}
