import { describeError, type Logger } from '@wofleet/shared';
import type { Clock } from '../context/clock.js';
import {
  claimDueWebhookDeliveries,
  recordWebhookDelivered,
  recordWebhookFailure,
  type ClaimedWebhookDelivery,
  type Database,
} from '../db/index.js';
import { DEFAULT_RETRY_POLICY, nextRetryDelay, type RetryPolicy } from './retry.js';
import type { WebhookSender } from './sender.js';

/**
 * The outbox's delivery loop: every `pollMs` (or at once after a full batch) claim the
 * due deliveries (db/webhook-deliveries.ts: one controller per row), send them (one at
 * a time per endpoint, endpoints side by side), and record each outcome: delivered, due
 * again after the retry policy's backoff, or given up past its retry period. A
 * controller that dies mid-attempt leaves its claim to run out; the row is sent again,
 * so a receiver may see an event twice (X-Wofleet-Event-Id tells it so).
 */
export interface WebhookWorkerOptions {
  db: Database;
  send: WebhookSender;
  /** This controller process (the campaign lease holder id). */
  holder: string;
  clock: Clock;
  log: Logger;
  retry?: RetryPolicy;
  pollMs?: number;
  /** The longest one attempt may take (the sender's own timeout): claims outlast a batch of them. */
  attemptTimeoutMs: number;
  batch?: number;
}

export interface WebhookWorker {
  /** Ends the loop; attempts in flight finish and are recorded first. */
  stop(): Promise<void>;
}

export const DEFAULT_WEBHOOK_POLL_MS = 1_000;
const DEFAULT_BATCH = 10;
const CLAIM_MARGIN_MS = 30_000;

export function startWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const { db, clock, holder } = options;
  const log = options.log.child({ component: 'webhooks' });
  const pollMs = options.pollMs ?? DEFAULT_WEBHOOK_POLL_MS;
  const batch = options.batch ?? DEFAULT_BATCH;
  const stopping = new AbortController();

  const attempt = async (delivery: ClaimedWebhookDelivery): Promise<void> => {
    const result = await options.send(delivery);
    const fields = { eventId: delivery.eventId, event: delivery.event, endpoint: endpointOf(delivery.url), attempt: delivery.attempt };
    if (result.ok) {
      await recordWebhookDelivered(db, delivery.id, holder);
      log.info(fields, 'webhook delivered');
      return;
    }
    const ageMs = delivery.claimedAt.getTime() - delivery.createdAt.getTime();
    const retryInMs = nextRetryDelay(options.retry ?? DEFAULT_RETRY_POLICY, delivery.attempt, ageMs);
    await recordWebhookFailure(db, delivery.id, holder, result.error, retryInMs);
    if (retryInMs === undefined) log.error({ ...fields, error: result.error }, 'webhook given up: its retry period is over');
    else log.warn({ ...fields, error: result.error, retryInMs: Math.round(retryInMs) }, 'webhook delivery failed: will retry');
  };

  /** One pass; returns whether the batch was full (more may be due now). */
  const pass = async (): Promise<boolean> => {
    const claimed = await claimDueWebhookDeliveries(db, {
      holder,
      claimMs: batch * options.attemptTimeoutMs + CLAIM_MARGIN_MS,
      limit: batch,
    });
    const byUrl = new Map<string, ClaimedWebhookDelivery[]>();
    for (const delivery of claimed) byUrl.set(delivery.url, [...(byUrl.get(delivery.url) ?? []), delivery]);
    await Promise.all(
      [...byUrl.values()].map(async (deliveries) => {
        for (const delivery of deliveries) await attempt(delivery);
      }),
    );
    return claimed.length === batch;
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      let more = false;
      try {
        more = await pass();
      } catch (err) {
        log.warn({ error: describeError(err) }, 'webhook outbox unreachable: will try again');
      }
      if (!more) await clock.sleep(pollMs, stopping.signal);
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await loop;
    },
  };
}

/** Where a URL points, for logs: many webhook URLs carry a token in their path or query. */
function endpointOf(url: string): string {
  return new URL(url).origin;
}
