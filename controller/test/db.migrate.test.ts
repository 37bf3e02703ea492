import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { DatabaseUnavailableError, migrate, MIGRATIONS_DIR, openDatabase, type OpenDatabase } from '../src/db/index.js';
import { createScratchDatabase, type ScratchPostgres } from './db.fixtures.js';

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const log = silentLogger();

async function journalEntries(dir: string): Promise<string[]> {
  const journal = JSON.parse(await readFile(path.join(dir, 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
  return journal.entries.map((e) => e.tag);
}

// Raw SQL through the driver: on the shared Database type, execute() results are driver-specific (unknown).
function pg(handle: OpenDatabase) {
  if (handle.kind !== 'postgres') throw new Error('expected Postgres');
  return handle.client;
}

async function appliedCount(handle: OpenDatabase): Promise<number> {
  const [row] = await pg(handle)<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
  return row?.n ?? -1;
}

async function tableNames(handle: OpenDatabase): Promise<string[]> {
  const rows = await pg(handle)<{ name: string }[]>`
    select table_name as name from information_schema.tables where table_schema = 'public' order by 1`;
  return rows.map((r) => r.name);
}

let scratch: ScratchPostgres;
const opened: OpenDatabase[] = [];
async function open(): Promise<OpenDatabase> {
  const handle = await openDatabase({ databaseUrl: scratch.url, dataDir: '/nonexistent', log });
  opened.push(handle);
  return handle;
}

beforeAll(async () => {
  scratch = await createScratchDatabase();
});
afterAll(async () => {
  for (const handle of opened) await handle.close();
  await scratch?.drop();
});

describe('migrate', () => {
  it('applies every committed migration to an empty database', async () => {
    const handle = await open();
    expect(handle.kind).toBe('postgres');
    await migrate(handle, log);
    expect(await tableNames(handle)).toEqual([
      'agent_package_chunks',
      'agent_packages',
      'audit_events',
      'campaign_targets',
      'campaign_waves',
      'campaigns',
      'certificate_revocations',
      'enrollment_tokens',
      'issued_certificates',
      'operations',
      'releases',
      'servers',
      'sites',
      'webhook_deliveries',
    ]);
    expect(await appliedCount(handle)).toBe((await journalEntries(MIGRATIONS_DIR)).length);
  });

  it('applies nothing the second time', async () => {
    const handle = await open();
    const before = await appliedCount(handle);
    await migrate(handle, log);
    await migrate(handle, log);
    expect(await appliedCount(handle)).toBe(before);
  });

  it('lets several controllers migrate a new database at the same time', async () => {
    const other = await createScratchDatabase();
    const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: other.url, dataDir: '/nonexistent', log })));
    try {
      await Promise.all(handles.map((h) => migrate(h, log)));
      expect(await appliedCount(handles[0]!)).toBe((await journalEntries(MIGRATIONS_DIR)).length);
    } finally {
      for (const h of handles) await h.close();
      await other.drop();
    }
  });
});

describe('the committed migrations', () => {
  it('match the schema in code (drizzle-kit generate finds nothing to add)', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), 'wofleet-migrations-'));
    try {
      await cp(MIGRATIONS_DIR, out, { recursive: true });
      const bin = path.join(PACKAGE_DIR, 'node_modules', '.bin', 'drizzle-kit');
      // drizzle-kit prefixes --out with './' (an absolute path breaks) and exits 0 on errors.
      const { stdout, stderr } = await promisify(execFile)(
        bin,
        ['generate', '--dialect', 'postgresql', '--schema', './src/db/schema/index.ts', '--out', path.relative(PACKAGE_DIR, out)],
        { cwd: PACKAGE_DIR },
      );
      expect(stderr).toBe('');
      expect(stdout).toContain('No schema changes');
      expect(await readdir(out)).toEqual(await readdir(MIGRATIONS_DIR));
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('ship with the built package and are found from dist', async () => {
    const built = (await import(path.join(PACKAGE_DIR, 'dist', 'index.js'))) as { MIGRATIONS_DIR: string };
    expect(built.MIGRATIONS_DIR).toBe(path.join(PACKAGE_DIR, 'dist', 'db', 'migrations'));
    expect(await journalEntries(built.MIGRATIONS_DIR)).toEqual(await journalEntries(MIGRATIONS_DIR));
    for (const tag of await journalEntries(MIGRATIONS_DIR)) {
      const file = `${tag}.sql`;
      expect(await readFile(path.join(built.MIGRATIONS_DIR, file), 'utf8')).toBe(await readFile(path.join(MIGRATIONS_DIR, file), 'utf8'));
    }
  });
});

describe('openDatabase', () => {
  it('says clearly when Postgres cannot be reached, without the password', async () => {
    const err = await openDatabase({ databaseUrl: 'postgres://wofleet:s3cret@127.0.0.1:1/fleet', dataDir: '/nonexistent', log }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect((err as Error).message).toMatch(/^cannot connect to Postgres at 127\.0\.0\.1:1\/fleet: /);
    expect((err as Error).message).not.toContain('s3cret');
  });
});
