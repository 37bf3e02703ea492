import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection, type TlsOptions } from 'nats';
import type { Logger } from '@wofleet/shared';
import type { NatsSettings } from '../config/nats.js';

/** Wait between reconnect attempts, plus a random share so controllers do not reconnect in step. */
const RECONNECT_WAIT_MS = 2_000;
const RECONNECT_JITTER_MS = 1_000;
/** A silent connection (half-open TCP) is noticed after ~1 min instead of the client's default ~4. */
const PING_INTERVAL_MS = 20_000;
const MAX_PINGS_OUT = 3;
const STILL_CONNECTING_LOG_MS = 30_000;

/** Client options from the controller settings. Credentials are read at every (re)connect, so rotated files are picked up. */
export function natsConnectionOptions(settings: NatsSettings, name: string): ConnectionOptions {
  const options: ConnectionOptions = {
    name,
    servers: settings.servers,
    reconnect: true,
    maxReconnectAttempts: -1,
    // Keep retrying every configured server when none is up at start.
    waitOnFirstConnect: true,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    reconnectJitter: RECONNECT_JITTER_MS,
    reconnectJitterTLS: RECONNECT_JITTER_MS,
    pingInterval: PING_INTERVAL_MS,
    maxPingOut: MAX_PINGS_OUT,
  };
  const credsFile = settings.credsFile;
  if (credsFile !== undefined) options.authenticator = credsAuthenticator(() => readFileSync(credsFile));
  if (settings.user !== undefined) {
    options.user = settings.user;
    options.pass = settings.pass ?? '';
  }
  if (settings.tls !== undefined) {
    const tls: TlsOptions = {};
    if (settings.tls.caFile !== undefined) tls.caFile = settings.tls.caFile;
    if (settings.tls.certFile !== undefined) tls.certFile = settings.tls.certFile;
    if (settings.tls.keyFile !== undefined) tls.keyFile = settings.tls.keyFile;
    options.tls = tls;
  }
  return options;
}

/**
 * Connects, waiting while no server answers (logged every 30 s); the connection then
 * reconnects by itself for good. Rejects only on what retrying cannot fix (refused
 * credentials): the operator must see that at start.
 */
export async function connectControllerNats(settings: NatsSettings, name: string, log: Logger): Promise<NatsConnection> {
  const since = Date.now();
  const nag = setInterval(() => log.warn({ servers: settings.servers, waitingMs: Date.now() - since }, 'still no NATS connection'), STILL_CONNECTING_LOG_MS);
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
