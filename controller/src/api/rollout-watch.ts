import type { Logger } from '@wofleet/shared';
import { campaignEventSubject, isActiveCampaignState, type CampaignView } from '../campaigns/index.js';
import { parseCampaignEvent, type CampaignUpdate, type SubscribeToSubject } from '../events/campaign-events.js';

/**
 * WatchRollout's loop. Order matters so that nothing is missed: subscribe to the
 * campaign's event subject first (and wait until the NATS server has the
 * subscription), then read the campaign from Postgres (the snapshot), then forward
 * each event with the campaign re-read after it (once for the events that arrived
 * together), so every message is a view that was committed. An event that arrives before the snapshot was read is sent too (its
 * change is already in the snapshot): a watcher may see a change twice, never miss one.
 *
 * Core NATS delivers at most once, and NATS may be down: the campaign is also re-read
 * every `pollMs.withEvents` and sent when it changed, and without a subscription at
 * all (no NATS, or it did not answer in time) every `pollMs.withoutEvents`. Postgres is
 * the truth; events only make the watch prompt.
 */

export const WATCH_POLL_MS = { withEvents: 5_000, withoutEvents: 1_000 } as const;

export interface WatchCampaignOptions {
  id: string;
  /** The campaign as Postgres has it now (NotFoundError when there is none). */
  read(id: string): Promise<CampaignView>;
  /** Undefined: no NATS, poll only. */
  subscribe: SubscribeToSubject | undefined;
  send(update: CampaignUpdate): void;
  /** The watcher went away. */
  signal: AbortSignal;
  log: Logger;
  pollMs?: { withEvents: number; withoutEvents: number };
}

/** Runs until the campaign is final (after sending that view) or the signal aborts; says which. */
export async function watchCampaign(options: WatchCampaignOptions): Promise<'final' | 'aborted'> {
  const { id, read, send, signal } = options;
  const log = options.log.child({ campaignId: id });
  const pollMs = options.pollMs ?? WATCH_POLL_MS;
  const inbox = createInbox();
  let subscription: { close(): void } | undefined;
  if (options.subscribe) {
    try {
      subscription = await options.subscribe(campaignEventSubject(id), (payload) => inbox.push(payload));
    } catch (err) {
      log.warn({ err }, 'cannot follow campaign events on NATS: the watch polls Postgres instead');
    }
  }
  try {
    let view = await read(id);
    send({ event: undefined, view });
    let lastSent = JSON.stringify(view);
    const interval = subscription ? pollMs.withEvents : pollMs.withoutEvents;
    let nextPoll = Date.now() + interval;
    while (isActiveCampaignState(view.state) && !signal.aborted) {
      const payloads = await inbox.take(Math.max(0, nextPoll - Date.now()), signal);
      if (signal.aborted) return 'aborted';
      const events = payloads.flatMap((payload) => {
        const parsed = parseCampaignEvent(payload);
        if (!parsed.ok) log.warn({ reason: parsed.reason }, 'ignored a malformed campaign event');
        return parsed.ok && parsed.event.campaignId === id ? [parsed.event] : [];
      });
      if (events.length > 0) {
        // One read for the batch: every event in it is committed, so the view after the last one shows them all.
        view = await read(id);
        for (const event of events) send({ event, view });
        lastSent = JSON.stringify(view);
      }
      // Messages that were no event of this campaign wake the loop but do not count as a poll.
      if (events.length > 0 || Date.now() < nextPoll) continue;
      nextPoll = Date.now() + interval;
      view = await read(id);
      const text = JSON.stringify(view);
      if (text !== lastSent) send({ event: undefined, view });
      lastSent = text;
    }
    return isActiveCampaignState(view.state) ? 'aborted' : 'final';
  } finally {
    subscription?.close();
  }
}

/** Messages as they arrive, taken in batches by one reader that waits for the first of a batch. */
function createInbox() {
  const items: Uint8Array[] = [];
  let wake: (() => void) | undefined;
  return {
    push(item: Uint8Array): void {
      items.push(item);
      wake?.();
    },
    async take(waitMs: number, signal: AbortSignal): Promise<Uint8Array[]> {
      if (items.length === 0 && !signal.aborted) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = undefined;
            resolve();
          };
          const timer = setTimeout(done, waitMs);
          signal.addEventListener('abort', done, { once: true });
          wake = done;
        });
      }
      return items.splice(0);
    },
  };
}
