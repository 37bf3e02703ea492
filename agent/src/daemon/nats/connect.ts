import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type ConnectionOptions, type NatsConnection, type TlsOptions } from 'nats';
import type { Logger } from '@wofleet/shared';
import type { AgentConfig } from '../../config/schema.js';
import { backoffDelay, type BackoffPolicy, type Timers } from './timers.js';

/** Per-server wait between reconnect attempts, plus a random share so a fleet does not reconnect in step. */
export const RECONNECT_WAIT_MS = 2_000;
export const RECONNECT_JITTER_MS = 1_000;
/** A silent connection (half-open TCP) is noticed after ~1 min instead of the client's default ~4. */
const PING_INTERVAL_MS = 20_000;
const MAX_PINGS_OUT = 3;
const STILL_CONNECTING_LOG_MS = 60_000;

/** Client options from the agent config. Credentials and TLS files are read at every (re)connect, so rotated files are picked up. */
export function natsConnectionOptions(config: AgentConfig): ConnectionOptions {
  const { nats } = config;
  const options: ConnectionOptions = {
    name: `wofleet-agent/${config.serverId}`,
    servers: nats.servers,
    reconnect: true,
    maxReconnectAttempts: -1,
    // Keep retrying every configured server when none is up at start (otherwise the
    // client drops each one that fails its first dial from its list for good).
    waitOnFirstConnect: true,
    reconnectTimeWait: RECONNECT_WAIT_MS,
    reconnectJitter: RECONNECT_JITTER_MS,
    reconnectJitterTLS: RECONNECT_JITTER_MS,
    pingInterval: PING_INTERVAL_MS,
    maxPingOut: MAX_PINGS_OUT,
  };
  const credsFile = nats.credsFile;
  if (credsFile !== undefined) options.authenticator = credsAuthenticator(() => readFileSync(credsFile));
  if (nats.user !== undefined) {
    options.user = nats.user;
    options.pass = nats.pass ?? '';
  }
  if (nats.tls !== undefined) {
    const tls: TlsOptions = {};
    if (nats.tls.caFile !== undefined) tls.caFile = nats.tls.caFile;
    if (nats.tls.certFile !== undefined) tls.certFile = nats.tls.certFile;
    if (nats.tls.keyFile !== undefined) tls.keyFile = nats.tls.keyFile;
    options.tls = tls;
  }
  return options;
}

export interface ConnectNatsOptions {
  log: Logger;
  /** Aborting gives up: the promise resolves `undefined` at once. */
  signal: AbortSignal;
  timers: Timers;
  /** Between attempts when the client itself gives up (it does after repeated auth errors). */
  retry: BackoffPolicy;
}

/**
 * Connects, waiting as long as it takes. The client retries unreachable servers by
 * itself, but reports nothing until it succeeds and rejects only on errors it will not
 * retry (twice the same auth error): those are logged and retried here with backoff.
 */
export async function connectNats(options: ConnectionOptions, { log, signal, timers, retry }: ConnectNatsOptions): Promise<NatsConnection | undefined> {
  const gaveUp = new Promise<undefined>((resolve) => {
    if (signal.aborted) resolve(undefined);
    signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  for (let attempt = 1; !signal.aborted; attempt++) {
    const pending = connect(options);
    const since = timers.now();
    const nag = setInterval(() => log.warn({ servers: options.servers, waitingMs: timers.now() - since }, 'still no NATS connection'), STILL_CONNECTING_LOG_MS);
    nag.unref();
    try {
      const nc = await Promise.race([pending, gaveUp]);
      if (nc !== undefined) return nc;
      // A dial in progress cannot be cancelled: close its connection whenever it comes up.
      pending.then((late) => late.close()).catch(() => {});
      return undefined;
    } catch (err) {
      const delayMs = backoffDelay(attempt, retry);
      log.error({ err, servers: options.servers, delayMs }, 'NATS connection refused; retrying');
      await timers.sleep(delayMs, signal);
    } finally {
      clearInterval(nag);
    }
  }
  return undefined;
}
