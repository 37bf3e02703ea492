import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { acquireLock, describeError, LockHeldError, WofleetError, type HeldLock, type Logger } from '@wofleet/shared';
import { tables, type Tables } from './schema/index.js';

/**
 * The one handle every repository function takes, whichever driver is behind it:
 * the common supertype of drizzle's postgres-js and PGlite databases. A transaction
 * (`db.transaction(tx => ...)`) is one too, so repository calls compose inside it.
 */
export type Database = PgDatabase<PgQueryResultHKT, Tables>;

export type DatabaseKind = 'postgres' | 'pglite';

/** An open database. `client` (and `url`) are the driver's own, for migrate() only. */
export type OpenDatabase =
  | { kind: 'postgres'; db: Database; client: postgres.Sql; url: string; close(): Promise<void> }
  | { kind: 'pglite'; db: Database; client: PGlite; close(): Promise<void> };

export interface OpenDatabaseOptions {
  /** DATABASE_URL: Postgres through postgres.js. Unset or empty: embedded PGlite. */
  databaseUrl?: string | undefined;
  /** The controller's data dir; PGlite keeps its files in `<dataDir>/pglite`. */
  dataDir: string;
  log: Logger;
  /** Pool size for Postgres (default 10). */
  maxConnections?: number;
}

/** The database cannot be reached or opened: wrong URL, server down, unusable data dir. */
export class DatabaseUnavailableError extends WofleetError {}

/** Opens Postgres when a URL is given, else PGlite under the data dir, and checks it answers. */
export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenDatabase> {
  return options.databaseUrl ? openPostgres(options.databaseUrl, options) : openPglite(options);
}

/** Where a URL points, without its credentials (for logs and messages). */
export function describeDatabaseUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}

async function openPostgres(databaseUrl: string, options: OpenDatabaseOptions): Promise<OpenDatabase> {
  const where = describeDatabaseUrl(databaseUrl);
  const log = options.log.child({ database: 'postgres', at: where });
  let client: postgres.Sql;
  try {
    client = postgres(databaseUrl, {
      max: options.maxConnections ?? 10,
      // postgres.js prints notices ("schema already exists, skipping") on stdout by default.
      onnotice: (notice) => log.debug({ notice: notice.message }, 'postgres notice'),
      connection: { application_name: 'wofleet-controller' },
      // No array-typed column or parameter anywhere, so postgres.js's lookup of array types on
      // every new connection buys nothing; and when a restart terminates the backend during it,
      // postgres.js 3.4.9 leaves that lookup's rejection unhandled, which ends the process.
      fetch_types: false,
      // postgres.js waits up to 20 s (3^n / 100 s) between attempts after failed ones; after a
      // Postgres restart or outage the controller should be back within a couple of seconds.
      backoff: (attempt: number) => Math.min(0.05 * 2 ** attempt, 2) * (0.5 + Math.random() / 2),
    });
  } catch (err) {
    throw new DatabaseUnavailableError(`cannot use DATABASE_URL (${where}): ${describeError(err)}`, { cause: err });
  }
  try {
    await client`select 1`;
  } catch (err) {
    await client.end({ timeout: 0 }).catch(() => {});
    throw new DatabaseUnavailableError(`cannot connect to Postgres at ${where}: ${describeError(err)}`, { cause: err });
  }
  log.info('database opened');
  return {
    kind: 'postgres',
    db: drizzlePostgres(client, { schema: tables }),
    client,
    url: databaseUrl,
    close: once(() => client.end({ timeout: 5 })),
  };
}

async function openPglite(options: OpenDatabaseOptions): Promise<OpenDatabase> {
  const dir = path.join(options.dataDir, 'pglite');
  const log = options.log.child({ database: 'pglite', at: dir });
  let client: PGlite;
  let lock: HeldLock | undefined;
  try {
    await mkdir(dir, { recursive: true });
    lock = await lockPgliteDir(dir);
    client = await PGlite.create(dir);
  } catch (err) {
    await lock?.release();
    if (err instanceof LockHeldError) throw err;
    throw new DatabaseUnavailableError(`cannot open the embedded database in ${dir}: ${describeError(err)}`, { cause: err });
  }
  log.info('database opened');
  const held = lock;
  return {
    kind: 'pglite',
    db: drizzlePglite(client, { schema: tables }),
    client,
    close: once(async () => {
      await client.close();
      await held.release();
    }),
  };
}

/**
 * PGlite is Postgres in this process, with no lock of its own: a second process on the
 * same files (`controller migrate` beside `serve`) loses committed rows. So the dir is
 * locked for as long as it is open; a lock left by a process that died is taken over.
 */
async function lockPgliteDir(dir: string): Promise<HeldLock> {
  try {
    return await acquireLock(`${dir}.lock`, ['wofleet', ...process.argv.slice(2, 4)].join(' '));
  } catch (err) {
    if (!(err instanceof LockHeldError)) throw err;
    throw new LockHeldError(
      err.holderPid,
      err.holderCommand,
      `the embedded database in ${dir} is in use by process ${err.holderPid} (${err.holderCommand}): stop it first; several controllers need Postgres (DATABASE_URL)`,
    );
  }
}

/** close() may be called more than once (PGlite throws on a second close). */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}
