import { readFileSync } from 'node:fs';
import { credsAuthenticator, nkeyAuthenticator, type ConnectionOptions, type TlsOptions } from 'nats';
import { readNatsSeed } from './nkey.js';

/** NATS client options shared by the agent and the controller. */
export interface NatsClientSettings {
  servers: string[];
  credsFile?: string | undefined;
  /** The nkey seed of this client's NATS user (`wofleet nats config` lists its public key). */
  seedFile?: string | undefined;
  user?: string | undefined;
  pass?: string | undefined;
  tls?: { caFile?: string | undefined; certFile?: string | undefined; keyFile?: string | undefined } | undefined;
}

/** Per-server wait between reconnect attempts, plus a random share so a fleet does not reconnect in step. */
export const RECONNECT_WAIT_MS = 2_000;
export const RECONNECT_JITTER_MS = 1_000;
/** A silent connection (half-open TCP) is noticed after ~1 min instead of the client's default ~4. */
const PING_INTERVAL_MS = 20_000;
const MAX_PINGS_OUT = 3;

/** Client options that reconnect for good. Credentials and TLS files are read at every (re)connect, so rotated files are picked up. */
export function natsConnectionOptions(settings: NatsClientSettings, name: string): ConnectionOptions {
  const options: ConnectionOptions = {
    name,
    servers: settings.servers,
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
  const credsFile = settings.credsFile;
  if (credsFile !== undefined) options.authenticator = credsAuthenticator(() => readFileSync(credsFile));
  const seedFile = settings.seedFile;
  if (seedFile !== undefined) options.authenticator = nkeyAuthenticator(() => readNatsSeed(seedFile));
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
