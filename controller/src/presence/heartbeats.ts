import type { NatsConnection, Subscription } from 'nats';
import { printable, type Logger } from '@wofleet/shared';
import { isStatementError, type HeartbeatWrite } from '../db/index.js';
import { decideHeartbeat, type HeartbeatDecision } from './decide.js';
import { parseHeartbeat, type HeartbeatMessage } from './messages.js';
import { secondsBetween, type PresenceObserver } from './observer.js';
import type { PresenceStore } from './store.js';
import { HEARTBEAT_SUBJECTS } from './subjects.js';

/**
 * Heartbeats: a core NATS subscription in a queue group (several controllers share the
 * beats), written to the servers' rows in batches.
 *
 *   received --> waiting (the newest beat per agent; a newer one replaces an older one
 *                still waiting, so the queue is bounded by the fleet size)
 *   waiting  --batchMs after the oldest arrived, or maxBatch waiting--> one transaction:
 *                lock the rows, decide each beat, one UPDATE for all, audit the comebacks
 *   batch refused by the database --> each beat in a transaction of its own, so a beat
 *                the database refuses loses only itself (not the fleet's presence)
 *   database unreachable --> the rest is logged and dropped: every agent sends a fresh
 *                beat next period anyway
 *
 * WRITES_IN_FLIGHT batches are written at once, each on its own connection: a write is mostly
 * waiting on the database, and one at a time fell seconds behind a 10,000-server fleet
 * (bench:presence). A server's newer beat waits until the batch holding its older one is
 * done, so a server's beats are written in the order they came.
 */
export const WRITES_IN_FLIGHT = 2;

export interface ReceivedHeartbeat {
  subject: string;
  payload: Uint8Array;
  /** When the controller heard it (a comeback's audit time; last_seen_at is the database's clock). */
  receivedAt: Date;
}

export interface HeartbeatCounts {
  recorded: number;
  ignored: number;
  malformed: number;
  /** Beats the database refused, or not written because it stopped answering. */
  lost: number;
  /** Servers this batch brought back (first beat after enrollment, or after being offline). */
  cameBack: string[];
}

type ValidBeat = [serverId: string, { beat: HeartbeatMessage; receivedAt: Date }];
type DecidedBeat = { serverId: string; decision: HeartbeatDecision };

/**
 * A batch of beats: validated, decided on their locked rows, written with their audit events
 * in one transaction. `onRecorded` is told of each beat once its write committed.
 */
export async function takeHeartbeats(
  store: PresenceStore,
  log: Logger,
  received: readonly ReceivedHeartbeat[],
  onRecorded: (beat: HeartbeatMessage) => void = () => {},
): Promise<HeartbeatCounts> {
  const beats = new Map<string, ValidBeat[1]>();
  let malformed = 0;
  for (const { subject, payload, receivedAt } of received) {
    const parsed = parseHeartbeat(subject, payload);
    if (parsed.ok) {
      beats.set(parsed.value.serverId, { beat: parsed.value, receivedAt });
    } else {
      malformed++;
      log.warn({ subject: printable(subject), reason: parsed.reason }, 'malformed heartbeat dropped');
    }
  }
  if (beats.size === 0) return { recorded: 0, ignored: 0, malformed, lost: 0, cameBack: [] };

  let decided: DecidedBeat[];
  try {
    decided = await writeBeats(store, [...beats]);
  } catch (err) {
    if (!isStatementError(err)) throw err;
    log.warn({ err, beats: beats.size }, 'heartbeat batch refused; writing its beats one by one');
    decided = await writeBeatsOneByOne(store, log, [...beats]);
  }

  let recorded = 0;
  const cameBack: string[] = [];
  for (const { serverId, decision } of decided) {
    if (decision.kind === 'ignore') {
      log.warn({ serverId, reason: decision.reason }, 'heartbeat ignored');
      continue;
    }
    recorded++;
    onRecorded((beats.get(serverId) as ValidBeat[1]).beat);
    if (decision.audit) {
      log.info({ serverId, ...decision.audit.data }, 'server is back');
      cameBack.push(decision.serverName);
    }
  }
  return { recorded, ignored: decided.length - recorded, malformed, lost: beats.size - decided.length, cameBack };
}

/** One transaction: lock the servers' rows, decide each beat, one UPDATE for all, audit the comebacks. */
async function writeBeats(store: PresenceStore, beats: readonly ValidBeat[]): Promise<DecidedBeat[]> {
  return store.transaction(async (tx) => {
    const facts = new Map((await tx.lockEnrolledServers(beats.map(([serverId]) => serverId))).map((server) => [server.name, server]));
    const decided: DecidedBeat[] = [];
    const writes: HeartbeatWrite[] = [];
    for (const [serverId, { beat, receivedAt }] of beats) {
      const decision = decideHeartbeat(beat, facts.get(serverId), receivedAt);
      decided.push({ serverId, decision });
      if (decision.kind === 'record') writes.push({ serverName: decision.serverName, report: decision.report, status: decision.status });
    }
    await tx.recordHeartbeats(writes);
    await tx.recordAuditEvents(decided.flatMap(({ decision }) => (decision.kind === 'record' && decision.audit ? [decision.audit] : [])));
    return decided;
  });
}

/** After a refused batch: each beat alone; a refused one is logged and skipped, and once the database stops answering the rest wait for their next beat. */
async function writeBeatsOneByOne(store: PresenceStore, log: Logger, beats: readonly ValidBeat[]): Promise<DecidedBeat[]> {
  const decided: DecidedBeat[] = [];
  for (const [index, beat] of beats.entries()) {
    try {
      decided.push(...(await writeBeats(store, [beat])));
    } catch (err) {
      if (!isStatementError(err)) {
        log.error({ err, beats: beats.length - index }, 'heartbeats not recorded');
        break;
      }
      log.warn({ err, serverId: beat[0] }, 'heartbeat refused by the database');
    }
  }
  return decided;
}

export interface HeartbeatConsumerOptions {
  nc: NatsConnection;
  store: PresenceStore;
  log: Logger;
  now: () => Date;
  queue: string;
  /** How long a beat may wait for others to share its write. */
  batchMs: number;
  /** A batch is written at once when this many beats wait. */
  maxBatch: number;
  /** Called, after its beat is recorded, for each server that came back (pending or offline before). */
  onServerBack?: (server: string) => void;
  observer?: PresenceObserver;
}

export interface HeartbeatConsumer {
  /** Stops listening, then writes the beats already received. */
  stop(): Promise<void>;
}

export function startHeartbeatConsumer(options: HeartbeatConsumerOptions): HeartbeatConsumer {
  const { store, log, now } = options;
  const waiting = new Map<string, ReceivedHeartbeat & { queuedAtMs: number }>();
  /** The subjects of the beats being written, and the writes. */
  const inFlight = new Set<string>();
  const writes = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;

  function schedule(): void {
    if (stopping || timer || writes.size >= WRITES_IN_FLIGHT || waiting.size === 0) return;
    const oldest = waiting.values().next().value?.queuedAtMs ?? performance.now();
    const delayMs = waiting.size >= options.maxBatch ? 0 : Math.max(0, oldest + options.batchMs - performance.now());
    timer = setTimeout(write, delayMs);
  }

  function write(): void {
    timer = undefined;
    const batch: ReceivedHeartbeat[] = [];
    for (const [subject, beat] of waiting) {
      if (batch.length >= options.maxBatch) break;
      if (inFlight.has(subject)) continue;
      waiting.delete(subject);
      inFlight.add(subject);
      batch.push(beat);
    }
    if (batch.length === 0) return;
    const onRecorded = (beat: HeartbeatMessage) =>
      options.observer?.heartbeatRecorded(secondsBetween(Date.parse(beat.at), now().getTime()));
    const done: Promise<void> = takeHeartbeats(store, log, batch, onRecorded)
      .then((counts) => {
        for (const server of counts.cameBack) options.onServerBack?.(server);
      })
      .catch((err: unknown) => log.error({ err, beats: batch.length }, 'heartbeats not recorded'))
      .finally(() => {
        for (const beat of batch) inFlight.delete(beat.subject);
        writes.delete(done);
        schedule();
      });
    writes.add(done);
    schedule();
  }

  const sub: Subscription = options.nc.subscribe(HEARTBEAT_SUBJECTS, {
    queue: options.queue,
    callback: (err, msg) => {
      if (err) {
        log.error({ err }, 'heartbeat subscription error');
        return;
      }
      // A newer beat of the same agent takes the older one's place (and its place in line).
      waiting.set(msg.subject, {
        subject: msg.subject,
        payload: msg.data,
        receivedAt: now(),
        queuedAtMs: waiting.get(msg.subject)?.queuedAtMs ?? performance.now(),
      });
      schedule();
    },
  });

  return {
    async stop() {
      stopping = true;
      if (!sub.isClosed()) await sub.drain();
      clearTimeout(timer);
      timer = undefined;
      while (writes.size > 0 || waiting.size > 0) {
        if (writes.size < WRITES_IN_FLIGHT) write();
        if (writes.size > 0) await Promise.race(writes);
      }
    },
  };
}
