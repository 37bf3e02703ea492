import { AckPolicy, DeliverPolicy, DiscardPolicy, NatsError, nanos, RetentionPolicy, StorageType, type JetStreamManager } from 'nats';
import { WofleetError } from '@wofleet/shared';
import { EVENT_SUBJECTS } from './subjects.js';

/**
 * The JetStream side of presence: the events stream (created here: agents' NATS users
 * may not; an existing one is used as it is) and the controllers' durable pull consumer.
 */
const STREAM_LIMITS = {
  maxAgeMs: 14 * 24 * 3_600_000,
  maxBytes: 1024 ** 3,
  maxMsgSize: 1024 * 1024,
  duplicateWindowMs: 3_600_000,
} as const;

/** An event not acked within this is delivered again (to this or another controller). */
export const EVENT_ACK_WAIT_MS = 30_000;

/** JetStream API error codes (nats-server `server/errors.json`). */
const JS_ERR = { consumerNotFound: 10014, streamNameInUse: 10058, streamNotFound: 10059 } as const;

/** The events stream or the consumer cannot be set up (JetStream off, permissions, a conflicting stream). */
export class EventStreamSetupError extends WofleetError {}

function apiErrorCode(err: unknown): number | undefined {
  return err instanceof NatsError ? err.api_error?.err_code : undefined;
}

export async function ensureEventStream(jsm: JetStreamManager, stream: string): Promise<{ created: boolean }> {
  try {
    await jsm.streams.info(stream);
    return { created: false };
  } catch (err) {
    if (apiErrorCode(err) !== JS_ERR.streamNotFound)
      throw new EventStreamSetupError(`cannot look up JetStream stream ${stream}`, { cause: err });
  }
  try {
    await jsm.streams.add({
      name: stream,
      description: 'wofleet agent events (kept until the controller consumes them)',
      subjects: [EVENT_SUBJECTS],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: nanos(STREAM_LIMITS.maxAgeMs),
      max_bytes: STREAM_LIMITS.maxBytes,
      max_msg_size: STREAM_LIMITS.maxMsgSize,
      duplicate_window: nanos(STREAM_LIMITS.duplicateWindowMs),
    });
    return { created: true };
  } catch (err) {
    if (apiErrorCode(err) === JS_ERR.streamNameInUse) return { created: false };
    throw new EventStreamSetupError(`cannot create JetStream stream ${stream}`, { cause: err });
  }
}

/** The durable consumer every controller pulls events from: explicit acks, at most `maxAckPending` in flight. */
export async function ensureEventConsumer(
  jsm: JetStreamManager,
  stream: string,
  name: string,
  maxAckPending: number,
): Promise<{ created: boolean }> {
  try {
    await jsm.consumers.info(stream, name);
    return { created: false };
  } catch (err) {
    if (apiErrorCode(err) !== JS_ERR.consumerNotFound)
      throw new EventStreamSetupError(`cannot look up consumer ${name} on ${stream}`, { cause: err });
  }
  try {
    await jsm.consumers.add(stream, {
      durable_name: name,
      description: 'wofleet controllers: presence and inventory',
      filter_subject: EVENT_SUBJECTS,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(EVENT_ACK_WAIT_MS),
      max_ack_pending: maxAckPending,
    });
    return { created: true };
  } catch (err) {
    throw new EventStreamSetupError(`cannot create consumer ${name} on ${stream}`, { cause: err });
  }
}
