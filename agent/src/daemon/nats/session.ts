import { DebugEvents, ErrorCode, Events, NatsError, type JetStreamClient, type JetStreamManager, type NatsConnection } from 'nats';
import type { Logger } from '@wofleet/shared';
import type { AgentEvent } from '../../events/types.js';
import type { Heartbeat } from './heartbeat.js';
import type { PublishReceipt } from './publisher.js';
import { ensureEventStream } from './stream.js';
import { eventSubject, heartbeatSubject } from './subjects.js';

/**
 * One NATS connection and what hangs off it: whether it is up right now, and the two
 * publishes the agent does. The stream is ensured lazily before the first event and
 * again after "no responders" (JetStream still starting after a server restart, or
 * the stream deleted), so a missing stream heals without restarting the agent.
 */
export interface Session {
  readonly nc: NatsConnection;
  connected(): boolean;
  publishHeartbeat(beat: Heartbeat): void;
  publishEvent(event: AgentEvent): Promise<PublishReceipt>;
}

export interface SessionOptions {
  serverId: string;
  stream: string;
  log: Logger;
  /** Called after the client reconnected by itself (the outbox should drain). */
  onReconnect: () => void;
}

const encoder = new TextEncoder();

export function openSession(nc: NatsConnection, options: SessionOptions): Session {
  const { serverId, stream, log } = options;
  let up = true;
  let streamReady = false;
  let jsm: JetStreamManager | undefined;
  const js: JetStreamClient = nc.jetstream();

  // The client has no "is connected" accessor; its status stream is the only source.
  void (async () => {
    for await (const status of nc.status()) {
      switch (status.type) {
        case Events.Disconnect:
          up = false;
          log.warn({ server: status.data }, 'NATS disconnected; reconnecting');
          break;
        case Events.Reconnect:
          up = true;
          log.info({ server: status.data }, 'NATS reconnected');
          options.onReconnect();
          break;
        case Events.LDM:
          log.warn({ server: status.data }, 'NATS server entering lame duck mode');
          break;
        case Events.Error:
          log.error({ error: status.data }, 'NATS async error');
          break;
        case DebugEvents.StaleConnection:
          log.warn('NATS connection stale; reconnecting');
          break;
        default:
          break;
      }
    }
  })();

  async function readyStream(): Promise<void> {
    if (streamReady) return;
    jsm ??= await nc.jetstreamManager({ checkAPI: false });
    const ensured = await ensureEventStream(jsm, stream, serverId);
    if (ensured.created) log.info({ stream, subjects: ensured.subjects }, 'created JetStream stream');
    streamReady = true;
  }

  return {
    nc,
    connected: () => up && !nc.isClosed(),
    publishHeartbeat(beat) {
      nc.publish(heartbeatSubject(serverId), encoder.encode(JSON.stringify(beat)));
    },
    async publishEvent(event) {
      await readyStream();
      try {
        const ack = await js.publish(eventSubject(serverId), encoder.encode(JSON.stringify(event)), {
          msgID: event.id,
          expect: { streamName: stream },
        });
        return { seq: ack.seq, duplicate: ack.duplicate };
      } catch (err) {
        if (err instanceof NatsError && err.code === ErrorCode.NoResponders) streamReady = false;
        throw err;
      }
    },
  };
}
