import path from 'node:path';
import { formatHostPort, parseHostPort } from './address.js';
import { resolveHeartbeatSeconds, resolveNatsSettings, type NatsFlags, type NatsSettings } from './nats.js';
import { nonEmpty, resolveWholeSeconds, type WholeSecondsSetting } from './setting-values.js';
import { resolveWebhookSettings, type WebhookFlags, type WebhookSettings } from './webhooks.js';

/**
 * The controller's own settings: where it keeps its files, where it listens, which
 * database it uses. Flags win over the environment, the environment over defaults.
 *
 * | setting     | flag         | environment        | default                        |
 * |-------------|--------------|--------------------|--------------------------------|
 * | dataDir     | --data-dir   | WOFLEET_DATA_DIR   | /var/lib/wofleet-controller    |
 * | listen      | --listen     | WOFLEET_LISTEN     | 0.0.0.0:7444                   |
 * | databaseUrl | (none)       | DATABASE_URL       | unset: PGlite in <dataDir>/pglite |
 * | metricsListen | --metrics-listen | WOFLEET_METRICS_LISTEN | unset: no /metrics       |
 * | campaignLeaseMs | --campaign-lease | WOFLEET_CAMPAIGN_LEASE | 15s                     |
 *
 * /metrics is off unless asked for: it is plain HTTP without authentication (as every
 * Prometheus exporter) and its labels name servers and campaigns, so the operator picks
 * the address only the scraper reaches (e.g. 127.0.0.1:9464 beside a local Prometheus).
 *
 * The campaign lease is how long a controller that stops renewing (killed, cut off)
 * keeps its campaigns from the others: another controller takes them over that long
 * after its last renewal (once a second). Every controller of a fleet should have the same.
 *
 * NATS and the heartbeat period: see nats.ts. Webhooks: webhooks.ts.
 */
export const DEFAULT_DATA_DIR = '/var/lib/wofleet-controller';
export const DEFAULT_LISTEN = '0.0.0.0:7444';
export const DEFAULT_CAMPAIGN_LEASE_MS = 15_000;
const CAMPAIGN_LEASE: WholeSecondsSetting = {
  flag: '--campaign-lease',
  env: 'WOFLEET_CAMPAIGN_LEASE',
  defaultSeconds: DEFAULT_CAMPAIGN_LEASE_MS / 1000,
  // Renewed every second: under 3 s, a controller busy for a moment would lose its own campaigns.
  min: 3,
  max: 600,
  meaning: "how long after a controller's last renewal another takes its campaigns over",
};

export interface ControllerSettings {
  /** Holds the fleet CA, the controller's certificate and key, and PGlite's files. */
  dataDir: string;
  /** host:port ControllerService is served on. */
  listen: string;
  /** Postgres URL; undefined: the embedded PGlite database under dataDir. */
  databaseUrl: string | undefined;
  nats: NatsSettings;
  /** The agents' heartbeat period: a server is offline after 3 of them without a beat. */
  heartbeatSeconds: number;
  /** Campaign webhooks; undefined: none are sent. */
  webhooks?: WebhookSettings | undefined;
  /** host:port Prometheus' /metrics is served on (plain HTTP); undefined: not served. */
  metricsListen?: string | undefined;
  /** How long another controller waits, after this one's last renewal, before it takes its campaigns over. */
  campaignLeaseMs: number;
}

export interface ControllerFlags extends NatsFlags, WebhookFlags {
  dataDir?: string | undefined;
  listen?: string | undefined;
  metricsListen?: string | undefined;
  campaignLease?: string | undefined;
}

export type StorageSettings = Pick<ControllerSettings, 'dataDir' | 'databaseUrl'>;

/** Where the controller keeps its files and data: all that `ca` and `controller migrate` need (they never read the NATS settings). */
export function resolveStorageSettings(flags: Pick<ControllerFlags, 'dataDir'>, env: NodeJS.ProcessEnv = process.env): StorageSettings {
  return {
    dataDir: path.resolve(flags.dataDir ?? nonEmpty(env.WOFLEET_DATA_DIR) ?? DEFAULT_DATA_DIR),
    databaseUrl: nonEmpty(env.DATABASE_URL),
  };
}

/** Everything `controller serve` runs with. */
export function resolveControllerSettings(flags: ControllerFlags, env: NodeJS.ProcessEnv = process.env): ControllerSettings {
  const listenText = flags.listen ?? nonEmpty(env.WOFLEET_LISTEN) ?? DEFAULT_LISTEN;
  const listen = formatHostPort(parseHostPort(flags.listen !== undefined ? '--listen' : 'listen address', listenText));
  const metricsText = flags.metricsListen ?? nonEmpty(env.WOFLEET_METRICS_LISTEN);
  const metricsWhat = flags.metricsListen !== undefined ? '--metrics-listen' : 'WOFLEET_METRICS_LISTEN';
  return {
    ...resolveStorageSettings(flags, env),
    listen,
    nats: resolveNatsSettings(flags, env),
    heartbeatSeconds: resolveHeartbeatSeconds(flags, env),
    webhooks: resolveWebhookSettings(flags, env),
    metricsListen: metricsText === undefined ? undefined : formatHostPort(parseHostPort(metricsWhat, metricsText)),
    campaignLeaseMs: resolveWholeSeconds(CAMPAIGN_LEASE, flags.campaignLease, env) * 1000,
  };
}
