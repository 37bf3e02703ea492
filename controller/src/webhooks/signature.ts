import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signatures: HMAC-SHA256 with the controller's webhook secret over
 * `<timestamp>.<raw body>`, sent as `X-Wofleet-Signature: sha256=<hex>` beside
 * `X-Wofleet-Timestamp` (Unix seconds of this attempt). Signing the timestamp lets a
 * receiver refuse a replayed request (docs/WEBHOOKS.md).
 */
export const SIGNATURE_HEADER = 'x-wofleet-signature';
export const TIMESTAMP_HEADER = 'x-wofleet-timestamp';
export const EVENT_ID_HEADER = 'x-wofleet-event-id';
export const EVENT_HEADER = 'x-wofleet-event';
export const ATTEMPT_HEADER = 'x-wofleet-attempt';

export function signWebhook(secret: Buffer, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Whether `signature` is the one `signWebhook` makes (compared in constant time). */
export function webhookSignatureMatches(secret: Buffer, timestamp: number, body: string, signature: string): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, body));
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
