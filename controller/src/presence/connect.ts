import { connect, type NatsConnection } from 'nats';
import type { Logger } from '@wofleet/shared';
import { natsConnectionOptions } from '@wofleet/shared/nats';
import type { NatsSettings } from '../config/nats.js';

const STILL_CONNECTING_LOG_MS = 30_000;

/**
 * Connects, waiting while no server answers (logged every 30 s); the connection then
 * reconnects by itself for good. Rejects only on what retrying cannot fix (refused
 * credentials): the operator must see that at start.
 */
export async function connectControllerNats(settings: NatsSettings, name: string, log: Logger): Promise<NatsConnection> {
  const since = Date.now();
  const nag = setInterval(
    () => log.warn({ servers: settings.servers, waitingMs: Date.now() - since }, 'still no NATS connection'),
    STILL_CONNECTING_LOG_MS,
  );
  try {
    const nc = await connect(natsConnectionOptions(settings, name));
    log.info({ server: nc.getServer() }, 'NATS connected');
    void watchStatus(nc, log);
    return nc;
  } finally {
    clearInterval(nag);
  }
}

async function watchStatus(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const s of nc.status()) {
    if (s.type === 'disconnect' || s.type === 'error') log.warn({ nats: s.type, data: String(s.data) }, 'NATS connection trouble');
    else if (s.type === 'reconnect') log.info({ server: String(s.data) }, 'NATS reconnected');
  }
}
