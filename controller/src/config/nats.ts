import { printable, UsageError } from '@wofleet/shared';
import { nonEmpty, resolveWholeSeconds, type WholeSecondsSetting } from './setting-values.js';

/**
 * How the controller reaches NATS, and the agents' heartbeat period its presence
 * timeout is computed from. Flags win over the environment, the environment over defaults.
 *
 * | setting          | flag                | environment               | default               |
 * |------------------|---------------------|---------------------------|-----------------------|
 * | servers          | --nats URL,...      | WOFLEET_NATS_URL          | nats://127.0.0.1:4222 |
 * | credsFile        | --nats-creds FILE   | WOFLEET_NATS_CREDS        | none                  |
 * | seedFile         | --nats-seed FILE    | WOFLEET_NATS_SEED         | none                  |
 * | user / pass      | (none)              | WOFLEET_NATS_USER / _PASS | none                  |
 * | tls.caFile etc.  | --nats-ca/-cert/-key| WOFLEET_NATS_CA/_CERT/_KEY| none                  |
 * | heartbeatSeconds | --heartbeat-seconds | WOFLEET_HEARTBEAT_SECONDS | 10                    |
 *
 * The password has no flag: command lines are visible to every user of the host.
 */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
/** The agents' heartbeat period, when neither flag nor environment sets it; presence derives its timeout from it. */
export const DEFAULT_HEARTBEAT_SECONDS = 10;

export interface NatsTlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface NatsSettings {
  servers: string[];
  credsFile?: string;
  /** The controller's nkey seed (`wofleet nats config` makes it and lists its public key). */
  seedFile?: string;
  user?: string;
  pass?: string;
  tls?: NatsTlsFiles;
}

export interface NatsFlags {
  nats?: string | undefined;
  natsCreds?: string | undefined;
  natsSeed?: string | undefined;
  natsCa?: string | undefined;
  natsCert?: string | undefined;
  natsKey?: string | undefined;
  heartbeatSeconds?: string | undefined;
}

const NATS_SCHEMES = new Set(['nats:', 'tls:', 'ws:', 'wss:']);

export function resolveNatsSettings(flags: NatsFlags, env: NodeJS.ProcessEnv): NatsSettings {
  const what = flags.nats !== undefined ? '--nats' : 'WOFLEET_NATS_URL';
  const servers = parseNatsServers(what, flags.nats ?? nonEmpty(env.WOFLEET_NATS_URL) ?? DEFAULT_NATS_URL);
  const settings: NatsSettings = { servers };
  const credsFile = flags.natsCreds ?? nonEmpty(env.WOFLEET_NATS_CREDS);
  if (credsFile !== undefined) settings.credsFile = credsFile;
  const seedFile = flags.natsSeed ?? nonEmpty(env.WOFLEET_NATS_SEED);
  if (seedFile !== undefined) settings.seedFile = seedFile;
  const user = nonEmpty(env.WOFLEET_NATS_USER);
  if (user !== undefined) {
    settings.user = user;
    settings.pass = env.WOFLEET_NATS_PASS ?? '';
  }
  const tls: NatsTlsFiles = {};
  const caFile = flags.natsCa ?? nonEmpty(env.WOFLEET_NATS_CA);
  const certFile = flags.natsCert ?? nonEmpty(env.WOFLEET_NATS_CERT);
  const keyFile = flags.natsKey ?? nonEmpty(env.WOFLEET_NATS_KEY);
  if (caFile !== undefined) tls.caFile = caFile;
  if (certFile !== undefined) tls.certFile = certFile;
  if (keyFile !== undefined) tls.keyFile = keyFile;
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new UsageError('NATS TLS needs both a certificate and its key (--nats-cert and --nats-key)');
  if (Object.keys(tls).length > 0) settings.tls = tls;
  return settings;
}

/** A comma-separated list of nats://, tls://, ws:// or wss:// URLs, or bare HOST:PORT. */
export function parseNatsServers(what: string, input: string): string[] {
  const servers = input
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (servers.length === 0)
    throw new UsageError(`invalid ${what} '${printable(input)}': expected one or more NATS URLs (e.g. nats://127.0.0.1:4222)`);
  for (const server of servers) {
    const url = parseUrl(server.includes('://') ? server : `nats://${server}`);
    if (url === undefined || !NATS_SCHEMES.has(url.protocol) || url.hostname === '' || url.pathname.replace(/^\/$/, '') !== '') {
      throw new UsageError(`invalid ${what} '${printable(server)}': expected a NATS URL like nats://HOST:4222`);
    }
  }
  return servers;
}

const HEARTBEAT_SECONDS: WholeSecondsSetting = {
  flag: '--heartbeat-seconds',
  env: 'WOFLEET_HEARTBEAT_SECONDS',
  defaultSeconds: DEFAULT_HEARTBEAT_SECONDS,
  min: 1,
  max: 3600,
  meaning: "the agents' heartbeat period",
};

export function resolveHeartbeatSeconds(flags: NatsFlags, env: NodeJS.ProcessEnv): number {
  return resolveWholeSeconds(HEARTBEAT_SECONDS, flags.heartbeatSeconds, env);
}

function parseUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
