import type { Logger } from '@wofleet/shared';
import type { Clock } from '../context/clock.js';
import type { Database } from '../db/index.js';
import type { RetryPolicy } from './retry.js';
import { httpWebhookSender } from './sender.js';
import { startWebhookWorker, type WebhookWorker } from './worker.js';

/** Campaign webhooks: what they report (events.ts, payload.ts), how they are signed, queued and delivered. */
export { WEBHOOK_EVENT, webhookEventOf, type WebhookEvent } from './events.js';
export { buildWebhookPayload, type WebhookPayload } from './payload.js';
export { DEFAULT_RETRY_POLICY, nextRetryDelay, type RetryPolicy } from './retry.js';
export { httpWebhookSender, type WebhookRequest, type WebhookResult, type WebhookSender } from './sender.js';
export {
  ATTEMPT_HEADER,
  EVENT_HEADER,
  EVENT_ID_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  signWebhook,
  webhookSignatureMatches,
} from './signature.js';
export { startWebhookWorker, DEFAULT_WEBHOOK_POLL_MS, type WebhookWorker, type WebhookWorkerOptions } from './worker.js';

/** How often the outbox is polled and how failed deliveries back off. */
export interface WebhookDeliveryTuning {
  pollMs?: number;
  retry?: RetryPolicy;
}

/** The longest one attempt may take: an endpoint slower than this has failed it. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/** The controller's delivery worker over HTTP, signing with `secret`. */
export function startWebhookDelivery(
  options: { db: Database; secret: Buffer; holder: string; clock: Clock; log: Logger } & WebhookDeliveryTuning,
): WebhookWorker {
  return startWebhookWorker({
    ...options,
    send: httpWebhookSender(options.secret, ATTEMPT_TIMEOUT_MS, () => options.clock.now()),
    attemptTimeoutMs: ATTEMPT_TIMEOUT_MS,
  });
}
