import { Gauge, Histogram, type Registry } from 'prom-client';
import type { ScrapeReads } from '@wofleet/shared/metrics';
import type { EventBacklog, PresenceObserver } from '../presence/index.js';

/** Heartbeats come every few seconds: lags past a minute mean the presence timeout is near. */
const HEARTBEAT_LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Events may wait in the stream while no controller runs: up to hours. */
const EVENT_LAG_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600];

/**
 * Presence's metrics: the lag of each recorded heartbeat and settled event (observed as
 * presence works), and the events consumer's backlog (read from JetStream at scrape time).
 */
export function registerPresenceMetrics(registry: Registry, reads: ScrapeReads, backlog: () => Promise<EventBacklog>): PresenceObserver {
  const heartbeatLag = new Histogram({
    name: 'wofleet_controller_heartbeat_lag_seconds',
    help: "Seconds from an agent's heartbeat (its clock) to the commit that recorded it (this controller's clock).",
    buckets: HEARTBEAT_LAG_BUCKETS,
    registers: [registry],
  });
  const eventLag = new Histogram({
    name: 'wofleet_controller_event_lag_seconds',
    help: 'Seconds from JetStream storing an agent event to this controller settling it, by outcome.',
    labelNames: ['outcome'],
    buckets: EVENT_LAG_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'wofleet_controller_event_consumer_pending',
    help: 'Agent events in the durable consumer not yet settled (JetStream counts; the same for every controller): delivery pending, or delivered and awaiting ack.',
    labelNames: ['stage'],
    registers: [registry],
    async collect() {
      const counts = await reads.within('event-consumer', backlog);
      this.reset();
      if (!counts) return;
      this.set({ stage: 'undelivered' }, counts.pending);
      this.set({ stage: 'unacked' }, counts.ackPending);
    },
  });
  return {
    heartbeatRecorded: (lagSeconds) => heartbeatLag.observe(lagSeconds),
    eventSettled: (outcome, lagSeconds) => eventLag.observe({ outcome }, lagSeconds),
  };
}
