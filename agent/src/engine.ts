import { readFile } from 'node:fs/promises';
import { createLogger, runCommand, type CommandRunner, type Logger } from '@wofleet/shared';
import type { AgentConfig } from './config/schema.js';
import { createOutbox } from './events/outbox.js';
import type { EventSink } from './events/types.js';
import { layoutOf, type Layout } from './config/paths.js';
import { type FilesystemSpace, statfsSpace } from './disk/free-space.js';
import { createFpmControl, type FpmControl } from './runtime/fpm.js';
import { createPageCache, type PageCache } from './runtime/page-cache.js';
import { createSiteProbe, type SiteProbe } from './runtime/probe.js';
import { memoizedWebUser, type WebUser } from './runtime/web-user.js';
import { createWordOpsSiteDb, type WordOpsSiteDb } from './sites/site-db.js';
import { createWordOps, type WordOps } from './sites/wordops.js';
import { createWpCli, type WpCli } from './sites/wpcli.js';
import type { PackageSource } from './packages/store.js';

/**
 * Everything a command needs, with every side effect behind a small interface:
 * commands are plain functions of an Engine, and tests build one on a temp root.
 */
export interface Engine {
  config: AgentConfig;
  layout: Layout;
  log: Logger;
  run: CommandRunner;
  wo: WordOps;
  /** WordOps' site database, read-only: site facts without a `wo` process per site. */
  woSites: WordOpsSiteDb;
  wp: WpCli;
  /** The user PHP runs as (config `webUser`), looked up once when first needed. */
  webUser: () => Promise<WebUser>;
  probe: SiteProbe;
  fpm: FpmControl;
  pageCache: PageCache;
  /** Free space of a path's filesystem, checked before large writes (disk/free-space.ts). */
  space: FilesystemSpace;
  /** State changes for the fleet: queued on disk, published to NATS by the daemon. */
  events: EventSink;
  now: () => Date;
  /** Human progress lines for long work (the CLI prints them on stderr). */
  progress: (message: string) => void;
  /** Each step of an update or rollback recipe that completed, with its duration (the daemon's metrics time switches by it). */
  stepDone: StepDoneListener;
  /** wofleet-agent packages from the controller (the daemon's; absent in the CLI). */
  packageSource?: PackageSource;
}

/** `recipe` is the command (`update`, `rollback`), `step` the step's name (`switch`, `verify`, ...). */
export type StepDoneListener = (recipe: string, step: string, ms: number) => void;

export interface EngineOverrides {
  log?: Logger;
  run?: CommandRunner;
  progress?: (message: string) => void;
  now?: () => Date;
  events?: EventSink;
  env?: Record<string, string | undefined>;
  space?: FilesystemSpace;
  stepDone?: StepDoneListener;
  packageSource?: PackageSource;
}

export function createEngine(config: AgentConfig, overrides: EngineOverrides = {}): Engine {
  const layout = layoutOf(config);
  const run = overrides.run ?? runCommand;
  const env = overrides.env ?? process.env;
  const webUser = memoizedWebUser(config.webUser, run);
  const log = overrides.log ?? createLogger('wofleet-agent');
  const token = async () => (await readFile(`${layout.configDir}/health-token`, 'utf8')).trim();
  return {
    config,
    layout,
    log,
    run,
    wo: createWordOps(config.woBin, run, env),
    woSites: createWordOpsSiteDb(config.wordops.siteDb, { sqlite3: config.wordops.sqlite3, run }),
    wp: createWpCli({ wpBin: config.wpBin, run, layout, webUser, env }),
    webUser,
    probe: createSiteProbe(config.probe.address, token, config.probe.timeoutMs),
    // The reset is part of a switch: on a busy server it may queue behind the pool's requests,
    // and waiting is better than rolling back (a real-WordOps run under load needed over 10 s).
    fpm: createFpmControl(layout, config.php.socketDir, config.probe.switchTimeoutMs),
    pageCache: createPageCache(config.nginx.fastcgiCacheDir),
    space: overrides.space ?? statfsSpace,
    events: overrides.events ?? createOutbox(layout.outboxDir, config.serverId, overrides.now, log),
    now: overrides.now ?? (() => new Date()),
    progress: overrides.progress ?? (() => {}),
    stepDone: overrides.stepDone ?? (() => {}),
    ...(overrides.packageSource ? { packageSource: overrides.packageSource } : {}),
  };
}
