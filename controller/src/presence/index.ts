import type { NatsConnection } from 'nats';
import type { Logger } from '@wofleet/shared';
import type { Database } from '../db/index.js';
import { DEFAULT_HEARTBEAT_SECONDS } from '../config/nats.js';
import { systemClock, type Clock } from '../context/clock.js';
import { startEventConsumer, type EventConsumer } from './events.js';
import { startHeartbeatConsumer, type HeartbeatConsumer } from './heartbeats.js';
import { createFleetLink, followConnectionStatus, type FleetLink } from './link.js';
import type { EventBacklog, PresenceObserver } from './observer.js';
import { createPresenceStore } from './store.js';
import { DEFAULT_EVENT_CONSUMER, DEFAULT_EVENT_STREAM, DEFAULT_HEARTBEAT_QUEUE } from './subjects.js';
import { startOfflineSweeper } from './sweeper.js';

/**
 * Presence and inventory from NATS: the one entry point. Starts, in order, the events
 * consumer (JetStream durable), the heartbeat subscription (core NATS, queue group) and
 * the offline sweeper; stop() ends them in reverse order, each finishing its work in hand.
 * The sweeper sweeps only while the link (connection and events consumer) has been up
 * for one presence timeout.
 */
export { DEFAULT_HEARTBEAT_SECONDS };
export {
  MISSED_HEARTBEATS,
  IGNORED,
  PRESENCE_AUDIT,
  CONTROLLER_ACTOR,
  agentActor,
  presenceTimeoutMs,
  decideHeartbeat,
  decideEvent,
  maySweep,
  offlineAudits,
  type HeartbeatDecision,
  type EventDecision,
  type InventoryChange,
  type IgnoredReason,
} from './decide.js';
export {
  parseHeartbeat,
  parseAgentEvent,
  INVENTORY_EVENT,
  type HeartbeatMessage,
  type AgentEventMessage,
  type Parsed,
} from './messages.js';
export { takeHeartbeats, type ReceivedHeartbeat, type HeartbeatCounts } from './heartbeats.js';
export { takeEvent, type EventOutcome } from './events.js';
export { sweepOfflineServers, startOfflineSweeper, SWEEPS_PER_PERIOD, type OfflineSweeper } from './sweeper.js';
export { createFleetLink, followConnectionStatus, LINK_PART, type FleetLink, type LinkPart, type ConnectionStatus } from './link.js';
export { createPresenceStore, type PresenceStore } from './store.js';
export type { PresenceObserver, EventBacklog } from './observer.js';
export { EventStreamSetupError, EVENT_ACK_WAIT_MS } from './jetstream.js';
export { HEARTBEAT_SUBJECTS, EVENT_SUBJECTS, DEFAULT_EVENT_STREAM, DEFAULT_EVENT_CONSUMER, DEFAULT_HEARTBEAT_QUEUE } from './subjects.js';

export interface PresenceOptions {
  db: Database;
  nc: NatsConnection;
  log: Logger;
  /** The agents' heartbeat period; offline after 3 of them without a beat. Default 10. */
  heartbeatSeconds?: number;
  /** The clock decisions are made on. Default: the system clock. */
  now?: () => Date;
  /**
   * Whether this controller hears the fleet. Default: one fed by the connection's
   * status events and the events consumer; a test may drive its own.
   */
  link?: FleetLink;
  /** JetStream stream the agents publish events to. Default WOFLEET_EVENTS. */
  stream?: string;
  /** Durable consumer name, shared by every controller. Default wofleet-controller. */
  consumer?: string;
  /** Queue group for heartbeats. Default wofleet-controller. */
  heartbeatQueue?: string;
  /** How long a heartbeat may wait to share one write with others. Default 100 ms. */
  heartbeatBatchMs?: number;
  /** Heartbeats written in one statement at most. Default 500. */
  heartbeatMaxBatch?: number;
  /**
   * A server's first heartbeat after enrollment, or after it was offline: the controller
   * re-reads its sites then (called after the beat is recorded; must not throw).
   */
  onServerBack?: (server: string) => void;
  /** Events delivered and not yet acked, per consumer. Default 1,000. */
  maxAckPending?: number;
  /** Told of each recorded heartbeat and settled event (the controller's metrics). */
  observer?: PresenceObserver;
}

export interface Presence {
  /** The events consumer's backlog, as JetStream counts it. */
  eventBacklog(): Promise<EventBacklog>;
  stop(): Promise<void>;
}

const DEFAULTS = { heartbeatBatchMs: 100, heartbeatMaxBatch: 500, maxAckPending: 1_000, retry: { baseMs: 500, maxMs: 15_000 } } as const;

/** Resolves once the consumer and the subscription are registered with the server. */
export async function startPresence(options: PresenceOptions): Promise<Presence> {
  const log = options.log.child({ component: 'presence' });
  const store = createPresenceStore(options.db);
  const now = options.now ?? (() => new Date());
  // The sweeper waits in real time; only its judgement of "one timeout since the link came up" reads `now`.
  const clock: Clock = { now, sleep: systemClock.sleep };
  const heartbeatSeconds = options.heartbeatSeconds ?? DEFAULT_HEARTBEAT_SECONDS;
  if (!(heartbeatSeconds > 0)) throw new RangeError(`heartbeatSeconds must be positive, got ${heartbeatSeconds}`);

  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop();
  };
  const link = options.link ?? createFleetLink(now, log.child({ part: 'link' }));
  if (!options.link) void followConnectionStatus(options.nc.status(), link);
  let events: EventConsumer;
  try {
    events = await startEventConsumer({
      nc: options.nc,
      store,
      log: log.child({ part: 'events' }),
      now,
      stream: options.stream ?? DEFAULT_EVENT_STREAM,
      consumer: options.consumer ?? DEFAULT_EVENT_CONSUMER,
      maxAckPending: options.maxAckPending ?? DEFAULTS.maxAckPending,
      retry: DEFAULTS.retry,
      link,
      observer: options.observer,
    });
    stops.push(() => events.stop());
    const heartbeats: HeartbeatConsumer = startHeartbeatConsumer({
      nc: options.nc,
      store,
      log: log.child({ part: 'heartbeats' }),
      now,
      queue: options.heartbeatQueue ?? DEFAULT_HEARTBEAT_QUEUE,
      batchMs: options.heartbeatBatchMs ?? DEFAULTS.heartbeatBatchMs,
      maxBatch: options.heartbeatMaxBatch ?? DEFAULTS.heartbeatMaxBatch,
      onServerBack: options.onServerBack,
      observer: options.observer,
    });
    stops.push(() => heartbeats.stop());
    await options.nc.flush();
    const sweeper = startOfflineSweeper({ store, log: log.child({ part: 'sweeper' }), clock, link, heartbeatSeconds });
    stops.push(() => sweeper.stop());
  } catch (err) {
    await stopAll();
    throw err;
  }
  log.info({ heartbeatSeconds }, 'presence started');
  let stopping: Promise<void> | undefined;
  return {
    eventBacklog: () => events.backlog(),
    stop: () => (stopping ??= stopAll().then(() => log.info('presence stopped'))),
  };
}
