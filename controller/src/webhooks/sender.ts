import { WOFLEET_VERSION } from '@wofleet/shared';
import { ATTEMPT_HEADER, EVENT_HEADER, EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from './signature.js';

/** One delivery attempt as the worker hands it to the sender. */
export interface WebhookRequest {
  url: string;
  eventId: string;
  event: string;
  body: string;
  attempt: number;
}

/** The attempt's outcome: delivered on a 2xx answer; anything else is retried. */
export type WebhookResult = { ok: true } | { ok: false; error: string };

/** Sends one attempt; the port the worker is given (tests may count or fail attempts through it). */
export type WebhookSender = (request: WebhookRequest) => Promise<WebhookResult>;

/**
 * POSTs the body with its signature headers (signature.ts), signed at this attempt's
 * time. Redirects are not followed: a signed body goes only to the configured URL.
 */
export function httpWebhookSender(secret: Buffer, timeoutMs: number, now: () => Date): WebhookSender {
  return async (request) => {
    const timestamp = Math.floor(now().getTime() / 1000);
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': `wofleet-controller/${WOFLEET_VERSION}`,
          [EVENT_HEADER]: request.event,
          [EVENT_ID_HEADER]: request.eventId,
          [ATTEMPT_HEADER]: String(request.attempt),
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(secret, timestamp, request.body),
        },
        body: request.body,
      });
      await response.body?.cancel();
      return response.status >= 200 && response.status < 300 ? { ok: true } : { ok: false, error: `HTTP ${response.status}` };
    } catch (err) {
      return { ok: false, error: fetchFailure(err) };
    }
  };
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, a timeout) is its cause. */
function fetchFailure(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'TimeoutError') return 'no answer in time';
  const cause = err.cause;
  if (cause instanceof Error) return `${err.message}: ${'code' in cause && typeof cause.code === 'string' ? cause.code : cause.message}`;
  return err.message;
}
