import { WOFLEET_VERSION, type Logger } from '@wofleet/shared';
import type { AgentConfig } from '../../config/schema.js';
import type { Outbox } from '../../events/outbox.js';
import { agentNatsOptions, connectNats } from './connect.js';
import { startHeartbeat, type HeartbeatSummary } from './heartbeat.js';
import { startEventPublisher } from './publisher.js';
import { openSession, type Session } from './session.js';
import { realTimers, type BackoffPolicy, type Timers } from './timers.js';

/**
 * The daemon's NATS side: heartbeats and the outbox drain over one connection that
 * is kept up for as long as the daemon runs (the client reconnects by itself; if it
 * ever gives up, a fresh connection is made).
 */
export { HEALTH, type Health, type Heartbeat, type HeartbeatSummary, type ReleaseRef } from './heartbeat.js';
export { eventSubject, heartbeatSubject } from './subjects.js';
export { agentNatsOptions } from './connect.js';
export { realTimers, type BackoffPolicy, type Timers } from './timers.js';

export const DEFAULT_POLL_MS = 1_000;
export const DEFAULT_RETRY: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

export interface NatsPublisherOptions {
  config: AgentConfig;
  outbox: Pick<Outbox, 'pending' | 'ack'>;
  summary: () => Promise<HeartbeatSummary>;
  log: Logger;
  /** Defaults to wofleet's version. */
  agentVersion?: string;
  /** Outbox poll interval (other processes append without waking us). */
  pollMs?: number;
  retry?: BackoffPolicy;
  timers?: Timers;
}

export interface NatsPublisher {
  /** An event was appended to the outbox: publish it now. */
  wake(): void;
  /** Finishes the in-flight publish, then closes the connection. */
  stop(): Promise<void>;
  connected(): boolean;
}

export function startNatsPublisher(options: NatsPublisherOptions): NatsPublisher {
  const { config } = options;
  const log = options.log.child({ component: 'nats', serverId: config.serverId });
  const timers = options.timers ?? realTimers;
  const retry = options.retry ?? DEFAULT_RETRY;
  const stopping = new AbortController();
  let session: Session | undefined;
  const connected = () => session?.connected() ?? false;

  const events = startEventPublisher({
    outbox: options.outbox,
    publish: (event) => {
      if (!session) return Promise.reject(new Error('not connected to NATS'));
      return session.publishEvent(event);
    },
    connected,
    pollMs: options.pollMs ?? DEFAULT_POLL_MS,
    retry,
    timers,
    log,
  });

  const heartbeat = startHeartbeat({
    serverId: config.serverId,
    agentVersion: options.agentVersion ?? WOFLEET_VERSION,
    periodMs: config.nats.heartbeatSeconds * 1000,
    summary: options.summary,
    publish: (beat) => session?.publishHeartbeat(beat),
    connected,
    timers,
    log,
    startedAtMs: Date.now() - process.uptime() * 1000,
  });

  const connectionOptions = agentNatsOptions(config);
  const maintained = (async () => {
    while (!stopping.signal.aborted) {
      log.info({ servers: config.nats.servers, natsUser: connectionOptions.authenticator !== undefined }, 'connecting to NATS');
      const nc = await connectNats(connectionOptions, { log, signal: stopping.signal, timers, retry });
      if (nc === undefined) return;
      const announce = () => {
        heartbeat.beatNow();
        events.wake();
      };
      session = openSession(nc, { serverId: config.serverId, stream: config.nats.stream, log, onReconnect: announce });
      log.info({ server: nc.getServer() }, 'connected to NATS');
      announce();
      const err = await nc.closed();
      session = undefined;
      if (!stopping.signal.aborted) log.error({ err }, 'NATS connection closed for good; connecting again');
    }
  })();

  return {
    wake: () => events.wake(),
    connected,
    async stop() {
      stopping.abort();
      await Promise.all([heartbeat.stop(), events.stop()]);
      await session?.nc.close();
      await maintained;
    },
  };
}
