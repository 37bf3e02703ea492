import { setTimeout as delay } from 'node:timers/promises';
import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import { describeError, printable, type Logger } from '@wofleet/shared';
import { refusedAsData } from '../db/index.js';
import { decideEvent, decideRejectedEvent, type RejectedEvent } from './decide.js';
import { ensureEventConsumer, ensureEventStream } from './jetstream.js';
import { LINK_PART, type FleetLink } from './link.js';
import { parseAgentEvent } from './messages.js';
import { secondsBetween, type EventBacklog, type PresenceObserver } from './observer.js';
import type { PresenceStore } from './store.js';
import { isServerName } from '../servers/input.js';
import { serverIdOfSubject } from './subjects.js';

/**
 * Agent events, from the JetStream durable consumer, one at a time in stream order:
 *
 *   received --parsed, recorded + applied, committed--> acked
 *   received --malformed--------------------------------> rejected
 *   received --refused by the database as data---------> rejected (the transaction rolled back)
 *   rejected --audited (enrolled server) or logged------> terminated: never redelivered
 *   received --from a server not enrolled---------------> acked (logged)
 *   received --database failed otherwise----------------> retried in place with backoff, the
 *                                                          ack deadline extended meanwhile,
 *                                                          so later events never overtake it
 *   retrying --stop()-----------------------------------> nak'd: delivered again after restart
 *
 * An event is acked only after its transaction committed, and recording is idempotent
 * on the event id, so a crash between commit and ack at worst redelivers an event that
 * then changes nothing. The consumer is strictly ordered, so an event retried in place
 * holds up every agent's later events: only a failure that may pass (the database
 * unreachable) is retried; an event the database refuses as such (SQLSTATE class 22 or
 * 23, db/sql-error.ts) would be refused forever, and is rejected like a malformed one.
 */
export type EventOutcome = 'applied' | 'duplicate' | 'ignored' | 'rejected';

/** A message as JetStream delivered it. */
export interface ReceivedEvent {
  subject: string;
  payload: Uint8Array;
  stream: string;
  /** Its sequence number in the stream: what a rejection is audited under. */
  streamSeq: number;
}

/** One event: validated, recorded in audit_events and applied to the inventory in one transaction. */
export async function takeEvent(store: PresenceStore, log: Logger, received: ReceivedEvent, now: Date): Promise<EventOutcome> {
  const parsed = parseAgentEvent(received.subject, received.payload);
  if (!parsed.ok) return rejectEvent(store, log, received, `malformed: ${parsed.reason}`, now);
  const event = parsed.value;
  let outcome: EventOutcome;
  try {
    outcome = await store.transaction(async (tx): Promise<EventOutcome> => {
      const decision = decideEvent(event, await tx.lockEnrolledServer(event.serverId));
      if (decision.kind === 'ignore') return 'ignored';
      if (!(await tx.recordAuditEvent(decision.audit))) return 'duplicate';
      for (const change of decision.changes) await tx.applyInventoryChange(decision.serverId, change, now);
      return 'applied';
    });
  } catch (err) {
    const refusal = refusedAsData(err);
    if (refusal === undefined) throw err;
    return rejectEvent(store, log, received, `refused by the database: ${printable(refusal, REFUSAL_MAX_CHARS)}`, now);
  }
  const fields = { serverId: event.serverId, eventId: event.id, type: event.type };
  if (outcome === 'ignored') log.warn(fields, 'event from a server that is not enrolled ignored');
  else log.debug({ ...fields, outcome }, 'event taken');
  return outcome;
}

const REFUSAL_MAX_CHARS = 300;

/** Audits (once per stream message) and logs an event that will be terminated; throws only when the database is unreachable. */
async function rejectEvent(store: PresenceStore, log: Logger, received: ReceivedEvent, reason: string, now: Date): Promise<'rejected'> {
  const serverId = serverIdOfSubject(received.subject) ?? '';
  const rejected: RejectedEvent = {
    serverId,
    reason,
    stream: received.stream,
    streamSeq: received.streamSeq,
    bytes: received.payload.byteLength,
  };
  const audited = await auditRejection(store, log, rejected, now);
  log.warn({ serverId: printable(serverId), streamSeq: received.streamSeq, reason, audited }, 'event rejected');
  return 'rejected';
}

/** True when this call recorded the rejection (false: recorded at an earlier delivery, a server not enrolled, or refused). */
async function auditRejection(store: PresenceStore, log: Logger, rejected: RejectedEvent, now: Date): Promise<boolean> {
  // A subject token no server could be named is not even looked up: it could be refused itself.
  if (!isServerName(rejected.serverId)) return false;
  try {
    return await store.transaction(async (tx) => {
      const decision = decideRejectedEvent(rejected, await tx.lockEnrolledServer(rejected.serverId), now);
      return decision.kind === 'apply' && (await tx.recordAuditEvent(decision.audit));
    });
  } catch (err) {
    // Retried in place, an audit refused as data would be refused forever, and hold up every agent's events.
    if (refusedAsData(err) === undefined) throw err;
    log.error(
      { err, serverId: rejected.serverId, streamSeq: rejected.streamSeq },
      'rejected event not audited: the database refused the audit',
    );
    return false;
  }
}

export interface EventConsumerOptions {
  nc: NatsConnection;
  store: PresenceStore;
  log: Logger;
  now: () => Date;
  stream: string;
  consumer: string;
  maxAckPending: number;
  /** Wait between attempts while the database fails (doubling up to maxMs; keep maxMs below EVENT_ACK_WAIT_MS). */
  retry: { baseMs: number; maxMs: number };
  /** Told when the consumer stops delivering (it failed) and when it consumes again. */
  link: FleetLink;
  observer?: PresenceObserver;
}

export interface EventConsumer {
  /** The durable consumer's backlog as JetStream counts it (one API call). */
  backlog(): Promise<EventBacklog>;
  /** Stops pulling, finishes the event in hand (and those already buffered), then returns. */
  stop(): Promise<void>;
}

/** Events pulled ahead of processing; fewer than maxAckPending so they are never acked late. */
const PULL_BATCH = 64;
const RESUBSCRIBE_DELAY_MS = 1_000;
/**
 * How long one pull waits (nats.js: 30 s, its idle heartbeat half that). A pull left on a
 * JetStream node that died is noticed after two missed heartbeats: 30 s without events by
 * default (seen: a stream leader killed mid-campaign, two 'switched' events recorded late);
 * 5 s here, one pull request every 5 s when idle.
 */
const PULL_EXPIRES_MS = 5_000;

export async function startEventConsumer(options: EventConsumerOptions): Promise<EventConsumer> {
  const { nc, store, log, stream } = options;
  const jsm = await nc.jetstreamManager();
  if ((await ensureEventStream(jsm, stream)).created) log.info({ stream }, 'created the events stream');
  if ((await ensureEventConsumer(jsm, stream, options.consumer, options.maxAckPending)).created) {
    log.info({ stream, consumer: options.consumer }, 'created the durable events consumer');
  }
  const consumer = await nc.jetstream().consumers.get(stream, options.consumer);
  const stopping = new AbortController();
  let messages: ConsumerMessages | undefined;

  async function settle(msg: JsMsg): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const received = { subject: msg.subject, payload: msg.data, stream: msg.info.stream, streamSeq: msg.seq };
        const outcome = await takeEvent(store, log, received, options.now());
        if (outcome === 'rejected') msg.term();
        else msg.ack();
        options.observer?.eventSettled(outcome, secondsBetween(msg.info.timestampNanos / 1e6, options.now().getTime()));
        return;
      } catch (err) {
        if (stopping.signal.aborted) {
          msg.nak();
          return;
        }
        const delayMs = Math.min(options.retry.maxMs, options.retry.baseMs * 2 ** (attempt - 1));
        log.error({ err, subject: msg.subject, seq: msg.seq, attempt, delayMs }, 'event not recorded; retrying');
        msg.working();
        await delay(delayMs, undefined, { signal: stopping.signal }).catch(() => {});
      }
    }
  }

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        messages = await consumer.consume({ max_messages: Math.min(PULL_BATCH, options.maxAckPending), expires: PULL_EXPIRES_MS });
        options.link.up(LINK_PART.events);
        if (stopping.signal.aborted) await messages.close();
        for await (const msg of messages) await settle(msg);
      } catch (err) {
        options.link.down(LINK_PART.events, describeError(err));
        log.error({ err, stream, consumer: options.consumer }, 'event consumer failed; resubscribing');
      }
      if (!stopping.signal.aborted) await delay(RESUBSCRIBE_DELAY_MS, undefined, { signal: stopping.signal }).catch(() => {});
    }
  })();

  return {
    async backlog() {
      const info = await jsm.consumers.info(stream, options.consumer);
      return { pending: info.num_pending, ackPending: info.num_ack_pending };
    },
    async stop() {
      stopping.abort();
      await messages?.close();
      await loop;
    },
  };
}
