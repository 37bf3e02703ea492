import { readFile, stat } from 'node:fs/promises';
import { parseDomain, StateError } from '@wofleet/shared';
import initSqlJs, { type SqlJsStatic } from 'sql.js';

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

const QUERY = 'SELECT sitename, site_type, cache_type, site_path, is_enabled, is_ssl, php_version FROM sites ORDER BY id';
/** A write transaction of WordOps lasts milliseconds; a journal still there after this is a crashed writer. */
const ATTEMPTS = 20;
const RETRY_MS = 25;

/** SQLite's WebAssembly module, loaded once on first read. */
let sqlJs: Promise<SqlJsStatic> | undefined;

/**
 * The file's bytes are read and parsed in memory (sql.js: SQLite compiled to WebAssembly):
 * the agent never opens the database through SQLite's locking, so it can neither block
 * WordOps' writes nor change the file. What SQLite's locks would guard, a read in the
 * middle of a write, is refused instead: a rollback journal beside the file, or a file
 * that changed while it was read, means "read again shortly".
 */
export function createWordOpsSiteDb(file: string): WordOpsSiteDb {
  let cached: { key: string; sites: ReadonlyMap<string, WordOpsSiteFacts> } | undefined;

  async function readOnce(): Promise<ReadonlyMap<string, WordOpsSiteFacts> | 'busy'> {
    const before = await stat(file).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (!before) return new Map();
    if (await exists(`${file}-journal`)) return 'busy';
    const key = `${before.dev}:${before.ino}:${before.size}:${before.mtimeMs}`;
    if (cached?.key === key) return cached.sites;
    const bytes = new Uint8Array(await readFile(file));
    const after = await stat(file);
    if (`${after.dev}:${after.ino}:${after.size}:${after.mtimeMs}` !== key || (await exists(`${file}-journal`))) return 'busy';
    sqlJs ??= initSqlJs();
    const sites = parseSites(file, await sqlJs, bytes);
    cached = { key, sites };
    return sites;
  }

  return {
    async read() {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const sites = await readOnce();
        if (sites !== 'busy') return sites;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
      throw new StateError(`WordOps' site database ${file} stayed busy (a -journal beside it) for ${(ATTEMPTS * RETRY_MS) / 1000} s`);
    },
  };
}

function parseSites(file: string, sql: SqlJsStatic, bytes: Uint8Array): ReadonlyMap<string, WordOpsSiteFacts> {
  // SQLite header bytes 18-19 are 2 in WAL mode: committed rows may then sit in -wal, which this reader cannot see.
  if (bytes[18] === 2 || bytes[19] === 2)
    throw new StateError(`WordOps' site database ${file} is in WAL mode; wofleet reads rollback-journal databases only`);
  const db = new sql.Database(bytes);
  try {
    const sites = new Map<string, WordOpsSiteFacts>();
    for (const row of db.exec(QUERY)[0]?.values ?? []) {
      const [name, siteType, cacheType, sitePath, enabled, ssl, php] = row;
      const domain = validDomain(name);
      if (domain === undefined) continue;
      sites.set(domain, {
        domain,
        siteType: text(siteType),
        cacheType: text(cacheType),
        phpVersion: text(php),
        ssl: ssl === 1,
        enabled: enabled === 1,
        webroot: text(sitePath),
      });
    }
    return sites;
  } catch (err) {
    throw new StateError(`cannot read WordOps' site database ${file}: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    db.close();
  }
}

/** WordOps registers names it should have refused (`inv@lid_domain`); the agent knows none of them. */
function validDomain(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return parseDomain(value);
  } catch {
    return undefined;
  }
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
