/**
 * The real test stack: a private nginx + PHP-FPM 8.2 on a temp root, sharing the
 * machine's MariaDB, with the `wo` stand-in configured to manage sites in it and the
 * real WP-CLI (tests/support/wp-cli.ts) on PATH.
 *
 *   <root>/www/                sitesRoot (WordOps' /var/www); sharedRoot = www/shared
 *   <root>/nginx/              nginx.conf, sites-available/, sites-enabled/, logs/, tmp/
 *   <root>/php/                php82-fpm.sock, php-fpm.conf, pid, log
 *   <root>/wo/dbase.db         WordOps' site registry (+ ledger of created databases)
 *   <root>/state/              the agent's stateDir
 *   <root>/tmp/                PHP's temp dir (open_basedir allows www/ and this only)
 *   <root>/standin.json        $WOFLEET_STANDIN_CONFIG
 *   <root>/bin/wp              the real WP-CLI's launcher; its cache and config in <root>/wp-cli/
 *
 * stop() stops both daemons (whole process groups), drops every database and user the
 * wo stand-in created, and removes the root (kept when WOFLEET_KEEP_STACK=1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AgentConfigInput } from '@wofleet/agent';
import { resolveProgram, tailOf, type Daemon } from './daemon.js';
import { createdDatabases, dropDatabases, LOCAL_MARIADB, runAdminSql, type CreatedDatabases, type MariaDbAdmin } from './mariadb.js';
import { httpRequest, type HttpResponse } from './net.js';
import { nginxLayout, nginxReloadArgv, startNginxOnFreePort } from './nginx.js';
import { fpmLayout, startFpm, writeFpmConfig } from './php-fpm.js';
import { writeWpLauncher } from './wp-cli.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const STANDINS_DIR = path.join(REPO_ROOT, 'tests', 'standins');
/** DESIGN §7: fixtures live in ../shared beside the repository, read-only. */
export const WORDPRESS_FIXTURES_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'fixtures', 'wordpress');
const WEB_USER = 'www-data';

export interface StackOptions {
  /** Archive `wo site create` installs (default: the WordPress 6.4.5 fixture). */
  wordpressArchive?: string;
  /** PHP-FPM workers (pm = static, default 4). */
  fpmChildren?: number;
  /**
   * WordOps' open_basedir (sites root, /usr/share/php, PHP's tmp dir) on the pool;
   * default true. false = stock Debian FPM, where each worker's realpath cache keeps
   * resolving a switched symlink to the old target for up to 120 s (DESIGN §5.2);
   * with open_basedir set, PHP disables that cache.
   */
  openBasedir?: boolean;
  /** Keep the temp root after stop() for debugging (default: $WOFLEET_KEEP_STACK === '1'). */
  keepRoot?: boolean;
}

export interface Stack {
  root: string;
  sitesRoot: string;
  sharedRoot: string;
  stateDir: string;
  nginxConf: string;
  sitesAvailable: string;
  sitesEnabled: string;
  socketDir: string;
  fpmSocket: string;
  woDatabase: string;
  port: number;
  probeAddress: string;
  wordpressArchive: string;
  /** Environment for running `wo` and `wp`: merge into process.env. */
  env: { WOFLEET_STANDIN_CONFIG: string; PATH: string };
  woBin: string;
  wpBin: string;
  /** Input for makeAgentConfig() pointing the agent at this stack. */
  agentConfig: AgentConfigInput;
  mariadb: MariaDbAdmin;
  /** Process-group ids of nginx and PHP-FPM (each master leads its group). */
  processGroups: readonly number[];
  request(host: string, urlPath: string, options?: { method?: string; headers?: Record<string, string> }): Promise<HttpResponse>;
  /** SQL as the MariaDB admin; tab-separated rows. */
  sql(statements: string): Promise<string>;
  createdDatabases(): Promise<CreatedDatabases>;
  /** Tails of the nginx and PHP-FPM error logs, for assertion messages. */
  logs(): string;
  stop(): Promise<void>;
}

/** What the wo stand-in reads from $WOFLEET_STANDIN_CONFIG (tests/standins/lib/config.mjs). */
interface StandinConfig {
  sitesRoot: string;
  nginx: { sitesAvailable: string; sitesEnabled: string; reload: string[]; test: string[]; pidFile: string; listen: string; port: number };
  php: { socketDir: string; defaultVersion: string };
  mysql: MariaDbAdmin;
  wordpressArchive: string;
  woDatabase: string;
  dbLedger: string;
  wpBin: string;
  webUser: string;
}

function writeStandinConfig(file: string, config: StandinConfig): void {
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
}

function mkdirs(...dirs: string[]): void {
  for (const dir of dirs) {
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o755);
  }
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wofleet-stack-'));
  fs.chmodSync(root, 0o755); // PHP and nginx workers (www-data) must traverse it
  const sitesRoot = path.join(root, 'www');
  const nginx = nginxLayout(path.join(root, 'nginx'));
  const fpm = fpmLayout(path.join(root, 'php'));
  const woDir = path.join(root, 'wo');
  const stateDir = path.join(root, 'state');
  const tmpDir = path.join(root, 'tmp');
  mkdirs(sitesRoot, nginx.dir, fpm.socketDir, woDir, stateDir, tmpDir);
  fs.chmodSync(tmpDir, 0o1777);

  const woDatabase = path.join(woDir, 'dbase.db');
  const dbLedger = path.join(woDir, 'created-databases.jsonl');
  const wordpressArchive = options.wordpressArchive ?? path.join(WORDPRESS_FIXTURES_DIR, 'wordpress-6.4.5.tar.gz');
  const woBin = path.join(STANDINS_DIR, 'wo');
  const binDir = path.join(root, 'bin');
  const standinConfigFile = path.join(root, 'standin.json');
  const keepRoot = options.keepRoot ?? process.env.WOFLEET_KEEP_STACK === '1';
  const daemons: Daemon[] = [];

  const stopAll = async (): Promise<void> => {
    const failures: unknown[] = [];
    const results = await Promise.allSettled(daemons.map((d) => d.stop()));
    for (const r of results) if (r.status === 'rejected') failures.push(r.reason);
    try {
      await dropDatabases(LOCAL_MARIADB, await createdDatabases(dbLedger, woDatabase));
    } catch (err) {
      failures.push(err);
    }
    if (!keepRoot) fs.rmSync(root, { recursive: true, force: true });
    if (failures.length > 0) throw new AggregateError(failures, `stopping the test stack at ${root} failed`);
  };

  try {
    const wpBin = writeWpLauncher(binDir, path.join(root, 'wp-cli'));
    writeFpmConfig(fpm, {
      webUser: WEB_USER,
      children: options.fpmChildren ?? 4,
      openBasedir: options.openBasedir === false ? [] : [sitesRoot, '/usr/share/php', tmpDir],
      tmpDir,
    });
    const [fpmStart, nginxStart] = await Promise.allSettled([startFpm(fpm), startNginxOnFreePort(nginx, WEB_USER)]);
    if (fpmStart.status === 'fulfilled') daemons.push(fpmStart.value);
    if (nginxStart.status === 'fulfilled') daemons.push(nginxStart.value.daemon);
    if (fpmStart.status === 'rejected') throw fpmStart.reason;
    if (nginxStart.status === 'rejected') throw nginxStart.reason;
    const { port } = nginxStart.value;

    writeStandinConfig(standinConfigFile, {
      sitesRoot,
      nginx: {
        sitesAvailable: nginx.sitesAvailable,
        sitesEnabled: nginx.sitesEnabled,
        reload: nginxReloadArgv(nginx),
        test: [resolveProgram('nginx'), '-c', nginx.conf, '-t'],
        pidFile: nginx.pidFile,
        listen: `127.0.0.1:${port}`,
        port,
      },
      php: { socketDir: fpm.socketDir, defaultVersion: '8.2' },
      mysql: LOCAL_MARIADB,
      wordpressArchive,
      woDatabase,
      dbLedger,
      wpBin,
      webUser: WEB_USER,
    });

    const sharedRoot = path.join(sitesRoot, 'shared');
    const probeAddress = `127.0.0.1:${port}`;
    return {
      root,
      sitesRoot,
      sharedRoot,
      stateDir,
      nginxConf: nginx.conf,
      sitesAvailable: nginx.sitesAvailable,
      sitesEnabled: nginx.sitesEnabled,
      socketDir: fpm.socketDir,
      fpmSocket: fpm.socket,
      woDatabase,
      port,
      probeAddress,
      wordpressArchive,
      env: {
        WOFLEET_STANDIN_CONFIG: standinConfigFile,
        PATH: [binDir, STANDINS_DIR, process.env.PATH ?? '/usr/bin:/bin', '/usr/sbin', '/sbin'].join(':'),
      },
      woBin,
      wpBin,
      agentConfig: {
        sharedRoot,
        sitesRoot,
        stateDir,
        woBin,
        wpBin,
        wordops: { siteDb: woDatabase },
        webUser: WEB_USER,
        nginx: {
          bin: resolveProgram('nginx'),
          sitesAvailable: nginx.sitesAvailable,
          sitesEnabled: nginx.sitesEnabled,
          testArgs: ['-c', nginx.conf],
        },
        php: { socketDir: fpm.socketDir },
        probe: { address: probeAddress },
      },
      mariadb: LOCAL_MARIADB,
      processGroups: daemons.map((d) => d.pid),
      request: (host, urlPath, requestOptions) => httpRequest(port, host, urlPath, requestOptions),
      sql: (statements) => runAdminSql(LOCAL_MARIADB, statements),
      createdDatabases: () => createdDatabases(dbLedger, woDatabase),
      logs: () => [nginx.errorLog, fpm.errorLog].map((file) => `--- ${file}\n${tailOf(file, 3000).trim()}`).join('\n'),
      stop: stopAll,
    };
  } catch (err) {
    await stopAll().catch(() => undefined);
    throw err;
  }
}
