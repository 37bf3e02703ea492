import { sql } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { describeError, shippedDir, WofleetError, type Logger } from '@wofleet/shared';
import type { OpenDatabase } from './database.js';

/**
 * The SQL migrations drizzle-kit generated from `schema/` (committed). The build copies
 * them beside the compiled code, so this resolves to `src/db/migrations` when running
 * from source and to `dist/db/migrations` when running the built package.
 */
export const MIGRATIONS_DIR = shippedDir(import.meta.url, './migrations', 'migrations');

/** Any fixed number: the advisory lock that lets one controller at a time migrate. */
const MIGRATION_LOCK_KEY = 0x776f666c; // "wofl"

export class MigrationError extends WofleetError {}

/**
 * Brings the schema up to date: applies, in order and in one transaction, every
 * migration not yet recorded in `drizzle.__drizzle_migrations`. Safe to run on every
 * start and from several controllers at once (on Postgres they queue on an advisory lock).
 */
export async function migrate(database: OpenDatabase, log: Logger): Promise<void> {
  const started = Date.now();
  try {
    if (database.kind === 'pglite') {
      // One process owns a PGlite directory, so there is nobody to race with.
      await migratePglite(drizzlePglite(database.client), { migrationsFolder: MIGRATIONS_DIR });
    } else {
      await migratePostgresLocked(database.url, log);
    }
  } catch (err) {
    throw new MigrationError(`database migration failed: ${describeError(driverError(err))}`, { cause: err });
  }
  log.info({ ms: Date.now() - started, kind: database.kind }, 'database schema up to date');
}

/** drizzle wraps the driver's error in one whose message is the whole migration SQL. */
function driverError(err: unknown): unknown {
  return err instanceof Error && err.cause instanceof Error ? err.cause : err;
}

/**
 * The advisory lock belongs to a session, and drizzle's migrator opens its own
 * transaction: so lock, migrate and unlock all run on one dedicated connection.
 */
async function migratePostgresLocked(url: string, log: Logger): Promise<void> {
  const connection = postgres(url, {
    max: 1,
    onnotice: (notice) => log.debug({ notice: notice.message }, 'postgres notice'),
    connection: { application_name: 'wofleet-controller migrate' },
  });
  try {
    const db = drizzlePostgres(connection);
    await db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`);
    try {
      await migratePostgres(db, { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`);
    }
  } finally {
    await connection.end({ timeout: 5 });
  }
}
