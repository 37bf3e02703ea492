import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import postgres from 'postgres';
import { describeError, silentLogger } from '@wofleet/shared';
import { migrate, openDatabase, type Database, type OpenDatabase } from '../src/db/index.js';

/**
 * Test databases. The Postgres ones live on the real server at 127.0.0.1:5432 (trust
 * auth, user postgres; override with WOFLEET_TEST_POSTGRES_URL): each test file gets
 * a fresh `wofleet_test_<random>` database, dropped afterwards. An unreachable
 * server fails the tests; they are never skipped.
 */
export const ADMIN_URL = process.env.WOFLEET_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  handle: OpenDatabase;
  db: Database;
  /** Drops the database (Postgres) or removes the temp dir (PGlite). */
  destroy(): Promise<void>;
}

export interface ScratchPostgres {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A new, empty database on the test server. */
export async function createScratchDatabase(): Promise<ScratchPostgres> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin`select 1`;
  } catch (err) {
    await admin.end({ timeout: 0 }).catch(() => {});
    throw new Error(
      `the controller database tests need Postgres at ${new URL(ADMIN_URL).host} (trust auth, user postgres), ` +
        `and it cannot be reached: ${describeError(err)}`,
      { cause: err },
    );
  }
  const name = `wofleet_test_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    },
  };
}

/** A fresh Postgres database, opened and migrated. */
export async function openTestPostgres(): Promise<TestDatabase> {
  const scratch = await createScratchDatabase();
  const log = silentLogger();
  const handle = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', log });
  await migrate(handle, log);
  return {
    handle,
    db: handle.db,
    async destroy() {
      await handle.close();
      await scratch.drop();
    },
  };
}

/** A fresh PGlite database in a temp data dir, opened and migrated. */
export async function openTestPglite(): Promise<TestDatabase & { dataDir: string }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'wofleet-pglite-'));
  const log = silentLogger();
  const handle = await openDatabase({ dataDir, log });
  await migrate(handle, log);
  // A test may reopen the database: destroy() closes whichever handle is current.
  const t = {
    handle,
    db: handle.db,
    dataDir,
    async destroy() {
      await t.handle.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return t;
}

/**
 * A fresh Postgres database for the calling test file, emptied before each test
 * and dropped after the file. Call at the top level of the file; `db` is valid
 * inside tests and hooks registered after this call.
 */
export function useTestPostgres(): { readonly db: Database } {
  return useTestDatabase('useTestPostgres', openTestPostgres);
}

/** The same for a fresh PGlite database in a temp data dir (opening it takes a while: one per file). */
export function useTestPglite(): { readonly db: Database } {
  return useTestDatabase('useTestPglite', openTestPglite);
}

function useTestDatabase(what: string, open: () => Promise<TestDatabase>): { readonly db: Database } {
  let opened: TestDatabase | undefined;
  beforeAll(async () => {
    opened = await open();
  }, 60_000);
  afterAll(async () => {
    await opened?.destroy();
  });
  beforeEach(async () => {
    await emptyTables(opened!.db);
  });
  return {
    get db() {
      if (!opened) throw new Error(`${what}: the database is open only inside tests and later hooks`);
      return opened.db;
    },
  };
}

/** Empties every table between tests. */
export async function emptyTables(db: Database): Promise<void> {
  await db.execute(
    sql`truncate servers, sites, releases, operations, audit_events, enrollment_tokens, campaigns, campaign_waves, campaign_targets, webhook_deliveries restart identity cascade`,
  );
}

/** The database's clock (now()): what last_seen_at is stamped with and the offline cutoff computed from. */
export async function databaseNow(db: Database): Promise<Date> {
  const [row] = await db.select({ ms: sql<number>`extract(epoch from now())::float8 * 1000` }).from(sql`(values (1)) as one(x)`);
  return new Date(Number(row?.ms));
}

export const T0 = new Date('2025-01-01T12:00:00.000Z');

export function secondsAfter(base: Date, seconds: number): Date {
  return new Date(base.getTime() + seconds * 1000);
}
