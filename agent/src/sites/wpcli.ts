import { lstat } from 'node:fs/promises';
import type { CommandRunner } from '@wofleet/shared';
import type { SitePaths } from '../config/paths.js';

/** The WP-CLI commands the agent uses, always against one site. */
export interface WpCli {
  optionGet(site: SitePaths, name: string): Promise<string>;
  updateDb(site: SitePaths): Promise<void>;
  exportDb(site: SitePaths, file: string): Promise<void>;
  importDb(site: SitePaths, file: string): Promise<void>;
  /** Runs SQL as the site's own DB user; tab-separated rows, no header. */
  query(site: SitePaths, sql: string): Promise<string>;
}

/** A shared-core site's core is behind its `wp` link; a traditional site's is htdocs itself. */
async function corePath(site: SitePaths): Promise<string> {
  return (await lstat(site.coreLink).then(
    () => true,
    () => false,
  ))
    ? site.coreLink
    : site.htdocs;
}

/**
 * Every call names the site three ways, because real WP-CLI infers none of them:
 * --path is the core (WP-CLI keeps a symlinked path unresolved), WP_CONFIG_PATH the
 * site's own config (WP-CLI would otherwise look beside the release, DESIGN §5.3),
 * and --url the host, which WP-CLI leaves unset otherwise ($_SERVER['HTTP_HOST'] is
 * what a site's wp-config.php sees under nginx). --allow-root because the agent runs
 * as root, as WordOps does. WP-CLI's update check is off: it would call the network
 * from inside a rollout.
 */
export function createWpCli(wpBin: string, run: CommandRunner, env: Record<string, string | undefined> = process.env): WpCli {
  const wp = async (site: SitePaths, args: string[], timeoutMs = 10 * 60_000) =>
    (
      await run(
        wpBin,
        [`--path=${await corePath(site)}`, `--url=http://${site.domain}/`, '--allow-root', '--skip-plugins', '--skip-themes', ...args],
        {
          env: { ...env, WP_CONFIG_PATH: site.config, WP_CLI_DISABLE_AUTO_CHECK_UPDATE: '1' },
          timeoutMs,
        },
      )
    ).stdout.trim();
  return {
    optionGet: (site, name) => wp(site, ['option', 'get', name], 60_000),
    updateDb: async (site) => {
      await wp(site, ['core', 'update-db']);
    },
    // WP-CLI runs plain mysqldump, which read-locks every table for the whole dump
    // (live writes stall); one consistent InnoDB snapshot takes no locks.
    exportDb: async (site, file) => {
      await wp(site, ['db', 'export', file, '--single-transaction']);
    },
    importDb: async (site, file) => {
      await wp(site, ['db', 'import', file]);
    },
    query: (site, sql) => wp(site, ['db', 'query', sql, '--skip-column-names']),
  };
}
