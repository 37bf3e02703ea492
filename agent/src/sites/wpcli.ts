import type { FileHandle } from 'node:fs/promises';
import type { CommandRunner } from '@wofleet/shared';
import type { Layout, SitePaths } from '../config/paths.js';
import type { WebUser } from '../runtime/web-user.js';
import { resolveSiteCore } from './site-core.js';

/** The WP-CLI commands the agent uses, always against one site. */
export interface WpCli {
  optionGet(site: SitePaths, name: string): Promise<string>;
  updateDb(site: SitePaths): Promise<void>;
  /** Writes the site's SQL dump into `out`, a file the agent opened (the child never names a path). */
  exportDb(site: SitePaths, out: FileHandle): Promise<void>;
  /** Loads the SQL dump read from `from`, a file the agent opened. */
  importDb(site: SitePaths, from: FileHandle): Promise<void>;
  /** Runs SQL as the site's own DB user; tab-separated rows, no header. */
  query(site: SitePaths, sql: string): Promise<string>;
}

export interface WpCliOptions {
  wpBin: string;
  run: CommandRunner;
  layout: Layout;
  webUser: () => Promise<WebUser>;
  env?: Record<string, string | undefined>;
}

/** What of the agent's environment WP-CLI gets: where programs are, the locale, and the operator's WP-CLI settings. */
function childEnv(env: Record<string, string | undefined>, user: WebUser): Record<string, string | undefined> {
  const kept = Object.entries(env).filter(([name]) => ['PATH', 'LANG', 'LC_ALL', 'TZ'].includes(name) || name.startsWith('WP_CLI_'));
  return { ...Object.fromEntries(kept), HOME: user.home, USER: user.name, LOGNAME: user.name };
}

/**
 * Every call runs WP-CLI as the web user, never root: it executes the site's
 * wp-config.php and WordPress itself, code the site can change. It names the site
 * three ways, because real WP-CLI infers none of them: --path is the release the
 * agent resolved and checked (sites/site-core.ts), WP_CONFIG_PATH the site's own
 * config (WP-CLI would otherwise look beside the release, DESIGN §5.3), and --url
 * the host, which WP-CLI leaves unset otherwise ($_SERVER['HTTP_HOST'] is what a
 * site's wp-config.php sees under nginx). The child gets none of the agent's other
 * environment, and dumps pass through its stdin/stdout only: it is given no path in
 * the agent's state. WP-CLI's update check is off: it would call the network from
 * inside a rollout.
 */
export function createWpCli({ wpBin, run, layout, webUser, env = process.env }: WpCliOptions): WpCli {
  const wp = async (site: SitePaths, args: string[], io: { stdoutFd?: number; stdinFd?: number; timeoutMs?: number } = {}) => {
    const [core, user] = await Promise.all([resolveSiteCore(layout, site), webUser()]);
    const result = await run(wpBin, [`--path=${core}`, `--url=http://${site.domain}/`, '--skip-plugins', '--skip-themes', ...args], {
      env: { ...childEnv(env, user), WP_CONFIG_PATH: site.config, WP_CLI_DISABLE_AUTO_CHECK_UPDATE: '1' },
      isolateEnv: true,
      user,
      // The agent's own working directory may be one the web user cannot enter.
      cwd: core,
      timeoutMs: io.timeoutMs ?? 10 * 60_000,
      stdoutFd: io.stdoutFd,
      stdinFd: io.stdinFd,
    });
    return result.stdout.trim();
  };
  return {
    optionGet: (site, name) => wp(site, ['option', 'get', name], { timeoutMs: 60_000 }),
    updateDb: async (site) => {
      await wp(site, ['core', 'update-db']);
    },
    // WP-CLI runs plain mysqldump, which read-locks every table for the whole dump
    // (live writes stall); one consistent InnoDB snapshot takes no locks.
    exportDb: async (site, out) => {
      await wp(site, ['db', 'export', '-', '--single-transaction'], { stdoutFd: out.fd });
    },
    importDb: async (site, from) => {
      await wp(site, ['db', 'import', '-'], { stdinFd: from.fd });
    },
    query: (site, sql) => wp(site, ['db', 'query', sql, '--skip-column-names']),
  };
}
