import { DebugEvents, Events, type JetStreamClient, type NatsConnection } from 'nats';
import type { Logger } from '@wofleet/shared';
import type { AgentEvent } from '../../events/types.js';
import type { Heartbeat } from './heartbeat.js';
import type { PublishReceipt } from './publisher.js';
import { eventSubject, heartbeatSubject } from './subjects.js';

/**
 * One NATS connection and what hangs off it: whether it is up right now, and the two
 * publishes the agent does. The events stream is the controller's: the agent may not
 * create it (its NATS user has no JetStream API rights), so while it is missing an
 * event publish fails ("no responders") and the event stays in the outbox until it is there.
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

  return {
    nc,
    connected: () => up && !nc.isClosed(),
    publishHeartbeat(beat) {
      nc.publish(heartbeatSubject(serverId), encoder.encode(JSON.stringify(beat)));
    },
    async publishEvent(event) {
      const ack = await js.publish(eventSubject(serverId), encoder.encode(JSON.stringify(event)), {
        msgID: event.id,
        expect: { streamName: stream },
      });
      return { seq: ack.seq, duplicate: ack.duplicate };
    },
  };
}
