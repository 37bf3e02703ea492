import { stat } from 'node:fs/promises';
import { CommandFailedError, domainOrUndefined, StateError, type CommandRunner } from '@wofleet/shared';
import { z } from 'zod';

/** One row of WordOps' `sites` table (wo/cli/plugins/models.py, SiteDB), the columns the agent uses. */
export interface WordOpsSiteFacts {
  domain: string;
  siteType: string;
  /** "basic", "wpfc", "wpredis", ...: WordOps writes "basic" for a site without page cache. */
  cacheType: string;
  phpVersion: string;
  ssl: boolean;
  enabled: boolean;
  webroot: string;
}

/**
 * WordOps' own site registry (/var/lib/wo/dbase.db, written by `wo` through SQLAlchemy),
 * read-only. It answers what `wo site info` would, for every site at once, without
 * starting WordOps' Python once per site.
 */
export interface WordOpsSiteDb {
  /** Every site WordOps knows whose name is a valid domain, by domain; empty when the file does not exist. */
  read(): Promise<ReadonlyMap<string, WordOpsSiteFacts>>;
}

export interface WordOpsSiteDbOptions {
  /** The sqlite3 shell (WordOps' installer installs it and creates this database with it). */
  sqlite3: string;
  run: CommandRunner;
  /** How long a read waits for a WordOps write transaction to end (SQLite's busy timeout). */
  busyTimeoutMs?: number;
}

const QUERY = 'SELECT sitename, site_type, cache_type, site_path, is_enabled, is_ssl, php_version FROM sites ORDER BY id';
const DEFAULT_BUSY_TIMEOUT_MS = 2_000;

const cell = z.union([z.string(), z.number(), z.null()]).optional();
const rowsSchema = z.array(
  z.object({
    sitename: cell,
    site_type: cell,
    cache_type: cell,
    site_path: cell,
    is_enabled: cell,
    is_ssl: cell,
    php_version: cell,
  }),
);

/**
 * Read through the sqlite3 shell, in its own short-lived process, opened read-only:
 * SQLite's own locking keeps a read from seeing half a WordOps write (it waits up to the
 * busy timeout), the file is never written, and the daemon's memory never holds an SQLite
 * engine. The shell runs only when the file changed since the last read (device, inode,
 * size, mtime), so a quiet server spawns nothing.
 */
export function createWordOpsSiteDb(file: string, options: WordOpsSiteDbOptions): WordOpsSiteDb {
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  let cached: { key: string; sites: ReadonlyMap<string, WordOpsSiteFacts> } | undefined;

  async function query(): Promise<unknown> {
    // -readonly: SQLITE_OPEN_READONLY; -bail: stop at the first error; .timeout: wait on a writer's lock.
    const args = ['-readonly', '-bail', '-json', '-cmd', `.timeout ${busyTimeoutMs}`, file, QUERY];
    const { stdout } = await options.run(options.sqlite3, args, { timeoutMs: busyTimeoutMs + 10_000 }).catch((err: unknown) => {
      if (!(err instanceof CommandFailedError)) throw err;
      // The shell's first stderr line is the error; the next ones echo the query with a caret.
      const why =
        err.exitCode_ === undefined
          ? `${options.sqlite3} could not be started (WordOps installs the sqlite3 package)`
          : (err.stderr.split('\n').find((line) => line.trim() !== '') ?? err.message);
      throw new StateError(`cannot read WordOps' site database ${file}: ${why}`);
    });
    // The shell prints nothing at all for a query without rows.
    if (stdout.trim() === '') return [];
    try {
      return JSON.parse(stdout) as unknown;
    } catch {
      throw new StateError(`cannot read WordOps' site database ${file}: ${options.sqlite3} printed no JSON`);
    }
  }

  return {
    async read() {
      const before = await stat(file).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      if (!before) return new Map();
      const key = `${before.dev}:${before.ino}:${before.size}:${before.mtimeMs}`;
      if (cached?.key === key) return cached.sites;
      const rows = rowsSchema.safeParse(await query());
      if (!rows.success)
        throw new StateError(`cannot read WordOps' site database ${file}: the sites table has unexpected columns or types`);
      const sites = new Map<string, WordOpsSiteFacts>();
      for (const row of rows.data) {
        // WordOps registers names it should have refused (`inv@lid_domain`); the agent knows none of them.
        const domain = typeof row.sitename === 'string' ? domainOrUndefined(row.sitename) : undefined;
        if (domain === undefined) continue;
        sites.set(domain, {
          domain,
          siteType: text(row.site_type),
          cacheType: text(row.cache_type),
          phpVersion: text(row.php_version),
          ssl: row.is_ssl === 1,
          enabled: row.is_enabled === 1,
          webroot: text(row.site_path),
        });
      }
      // Keyed on the file as it was before the query: a write that landed during it changes the key, so the next read runs again.
      cached = { key, sites };
      return sites;
    },
  };
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
