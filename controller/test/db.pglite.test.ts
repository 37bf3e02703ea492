import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { insertServer, listServers, migrate, openDatabase } from '../src/db/index.js';
import { emptyTables, openTestPglite } from './db.fixtures.js';
import { coreFlows } from './db.flows.js';

// The smoke test of the embedded database: the same core flows as on Postgres.
// Creating a PGlite data dir runs initdb in WebAssembly: about 10 s here, hence the timeout.
let t: Awaited<ReturnType<typeof openTestPglite>>;
beforeAll(async () => {
  t = await openTestPglite();
}, 120_000);
afterAll(async () => {
  await t?.destroy();
});
beforeEach(async () => {
  await emptyTables(t.db);
});

describe('core flows on PGlite', () => {
  for (const [name, flow] of Object.entries(coreFlows)) {
    it(name, () => flow(t.db));
  }
});

describe('the embedded database', () => {
  it('is used when no DATABASE_URL is given and lives under <dataDir>/pglite', async () => {
    expect(t.handle.kind).toBe('pglite');
    expect(await readdir(path.join(t.dataDir, 'pglite'))).toContain('PG_VERSION');
  });

  it('keeps its data across a reopen, and migrating again changes nothing', async () => {
    await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    await t.handle.close();
    const log = silentLogger();
    t.handle = await openDatabase({ dataDir: t.dataDir, log });
    t.db = t.handle.db;
    await migrate(t.handle, log);
    expect((await listServers(t.db)).map((s) => s.name)).toEqual(['web-1']);
  });
});
