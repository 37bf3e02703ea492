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
 * WP-CLI resolves --path and would look for wp-config.php beside the release;
 * WP_CONFIG_PATH points it at the site's own config instead (DESIGN §5.3).
 */
export function createWpCli(wpBin: string, run: CommandRunner, env: Record<string, string | undefined> = process.env): WpCli {
  const wp = async (site: SitePaths, args: string[], timeoutMs = 10 * 60_000) =>
    (
      await run(wpBin, [`--path=${await corePath(site)}`, '--allow-root', '--skip-plugins', '--skip-themes', ...args], {
        env: { ...env, WP_CONFIG_PATH: site.config },
        timeoutMs,
      })
    ).stdout.trim();
  return {
    optionGet: (site, name) => wp(site, ['option', 'get', name], 60_000),
    updateDb: async (site) => {
      await wp(site, ['core', 'update-db']);
    },
    exportDb: async (site, file) => {
      await wp(site, ['db', 'export', file]);
    },
    importDb: async (site, file) => {
      await wp(site, ['db', 'import', file]);
    },
    query: (site, sql) => wp(site, ['db', 'query', sql, '--skip-column-names']),
  };
}
