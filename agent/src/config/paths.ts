import path from 'node:path';
import type { AgentConfig } from './schema.js';

/** Every location of the shared-core layout (DESIGN §3), derived from config only. */
export interface Layout {
  sharedRoot: string;
  releasesDir: string;
  /** Where releases are extracted before the rename into releasesDir. */
  stagingDir: string;
  dispatcher: string;
  current: string;
  canary: string;
  wpContent: string;
  configDir: string;
  baselineFile: string;
  /** PHP the shared layout provides to every site (constants, health endpoint). */
  siteBootstrap: string;
  opcacheResetScript: string;
  muPluginsDir: string;
  stateDir: string;
  stateFile: string;
  lockFile: string;
  backupsDir: string;
  snapshotsDir: string;
  outboxDir: string;
  operationsDir: string;
  sitesRoot: string;
}

export function layoutOf(config: AgentConfig): Layout {
  const shared = config.sharedRoot;
  const releasesDir = path.join(shared, 'releases');
  return {
    sharedRoot: shared,
    releasesDir,
    stagingDir: path.join(releasesDir, '.staging'),
    dispatcher: path.join(releasesDir, 'wp-config.php'),
    current: path.join(shared, 'current'),
    canary: path.join(shared, 'canary'),
    wpContent: path.join(shared, 'wp-content'),
    configDir: path.join(shared, 'config'),
    baselineFile: path.join(shared, 'config', 'baseline.json'),
    siteBootstrap: path.join(shared, 'config', 'site-bootstrap.php'),
    opcacheResetScript: path.join(shared, 'config', 'opcache-reset.php'),
    muPluginsDir: path.join(shared, 'wp-content', 'mu-plugins'),
    stateDir: config.stateDir,
    stateFile: path.join(config.stateDir, 'state.json'),
    lockFile: path.join(config.stateDir, 'lock'),
    backupsDir: path.join(config.stateDir, 'backups'),
    snapshotsDir: path.join(config.stateDir, 'snapshots'),
    outboxDir: path.join(config.stateDir, 'outbox'),
    operationsDir: path.join(config.stateDir, 'operations'),
    sitesRoot: config.sitesRoot,
  };
}

/** Paths of one WordOps site (DESIGN §3): config one level above htdocs. */
export interface SitePaths {
  domain: string;
  root: string;
  htdocs: string;
  config: string;
  coreLink: string;
  wpContent: string;
  index: string;
  /** nginx's error log of the site (WordOps' vhost `error_log`), where PHP-FPM's messages land. */
  errorLog: string;
}

export function sitePaths(config: AgentConfig, domain: string): SitePaths {
  const root = path.join(config.sitesRoot, domain);
  const htdocs = path.join(root, 'htdocs');
  return {
    domain,
    root,
    htdocs,
    config: path.join(root, 'wp-config.php'),
    coreLink: path.join(htdocs, 'wp'),
    wpContent: path.join(htdocs, 'wp-content'),
    index: path.join(htdocs, 'index.php'),
    errorLog: path.join(root, 'logs', 'error.log'),
  };
}

/** Where enrollment writes this agent's NATS seed: `nats.seedFile`, else `nats.nk` beside the gRPC key. */
export function natsSeedFile(seedFile: string | undefined, keyFile: string): string {
  return seedFile ?? path.join(path.dirname(keyFile), 'nats.nk');
}

/** Where the daemon looks for its NATS seed; undefined when neither it nor the gRPC key is configured. */
export function natsSeedFileOf(config: Pick<AgentConfig, 'nats' | 'grpc'>): string | undefined {
  const keyFile = config.grpc.keyFile;
  return keyFile === undefined ? config.nats.seedFile : natsSeedFile(config.nats.seedFile, keyFile);
}
