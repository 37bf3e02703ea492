import type { Logger } from '@wofleet/shared';
import { campaignEventSubject, isActiveCampaignState, type CampaignView } from '../campaigns/index.js';
import { campaignChanges, noCampaignChanges } from '../events/campaign-changes.js';
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
 *
 * Reading a campaign of thousands of servers is not free (a tenth of a second and more
 * at 10,000), and a wave sends events by the hundred: after a read the watch waits
 * `readGapMs`, or ten times as long as the read took if that is longer, and reads once
 * for all the events that arrived meanwhile; so a watcher costs the controller at most
 * about a tenth of its time. Each update also says what differs from the view sent
 * before (campaignChanges), so the wire can carry only that.
 */

export const WATCH_POLL_MS = { withEvents: 5_000, withoutEvents: 1_000 } as const;
/** Shortest time between two reads of the campaign for events (a watcher sees changes this much later at least). */
export const WATCH_READ_GAP_MS = 250;
/** The gap after a read is at least this many times what the read took. */
const READ_GAP_PER_READ_TIME = 10;

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
  readGapMs?: number;
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
    const minGapMs = options.readGapMs ?? WATCH_READ_GAP_MS;
    let readAt = 0;
    let readGapMs = minGapMs;
    const readTimed = async () => {
      const started = Date.now();
      const next = await read(id);
      readAt = Date.now();
      readGapMs = Math.max(minGapMs, READ_GAP_PER_READ_TIME * (readAt - started));
      return next;
    };
    let view = await readTimed();
    send({ event: undefined, view, changes: undefined });
    const interval = subscription ? pollMs.withEvents : pollMs.withoutEvents;
    let nextPoll = Date.now() + interval;
    while (isActiveCampaignState(view.state) && !signal.aborted) {
      const payloads = await inbox.take(Math.max(0, nextPoll - Date.now()), signal);
      if (signal.aborted) return 'aborted';
      if (payloads.length > 0 && Date.now() - readAt < readGapMs) {
        await inbox.wait(readGapMs - (Date.now() - readAt), signal);
        if (signal.aborted) return 'aborted';
        payloads.push(...inbox.takeNow());
      }
      const events = payloads.flatMap((payload) => {
        const parsed = parseCampaignEvent(payload);
        if (!parsed.ok) log.warn({ reason: parsed.reason }, 'ignored a malformed campaign event');
        return parsed.ok && parsed.event.campaignId === id ? [parsed.event] : [];
      });
      if (events.length > 0) {
        // One read for the batch: every event in it is committed, so the view after the last one shows them all.
        const next = await readTimed();
        const changes = campaignChanges(view, next) ?? noCampaignChanges(next);
        view = next;
        // The first event of the batch carries what changed; the others add nothing to it.
        for (const [i, event] of events.entries()) send({ event, view, changes: i === 0 ? changes : noCampaignChanges(view) });
      }
      // Messages that were no event of this campaign wake the loop but do not count as a poll.
      if (events.length > 0 || Date.now() < nextPoll) continue;
      nextPoll = Date.now() + interval;
      const next = await readTimed();
      const changes = campaignChanges(view, next);
      view = next;
      if (changes) send({ event: undefined, view, changes });
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
    /** Waits up to `waitMs` for the first message (none when the time is up), then takes all there are. */
    async take(waitMs: number, signal: AbortSignal): Promise<Uint8Array[]> {
      if (items.length === 0 && !signal.aborted) await sleep(waitMs, signal, true);
      return items.splice(0);
    },
    /** Waits `waitMs` whatever arrives (unless the signal aborts). */
    wait: (waitMs: number, signal: AbortSignal): Promise<void> => sleep(waitMs, signal, false),
    takeNow: (): Uint8Array[] => items.splice(0),
  };

  function sleep(waitMs: number, signal: AbortSignal, wakeOnMessage: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (wake === done) wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, waitMs);
      signal.addEventListener('abort', done, { once: true });
      if (wakeOnMessage) wake = done;
    });
  }
}
