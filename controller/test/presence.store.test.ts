import { beforeAll, describe, expect, it } from 'vitest';
import {
  findServerByName,
  insertServer,
  listServers,
  listSites,
  markServerEnrolled,
  recordHeartbeat,
  upsertSites,
  type ServerRow,
} from '../src/db/index.js';
import { createPresenceStore, type PresenceStore } from '../src/presence/index.js';
import { databaseNow, useTestPostgres, secondsAfter, T0 } from './db.fixtures.js';

// The presence port on the real database: batch heartbeats and what agent events change.

const t = useTestPostgres();
let store: PresenceStore;
beforeAll(() => {
  store = createPresenceStore(t.db);
});

const R1 = { release: 'r1', version: '6.5.5' };
const R2 = { release: 'r2', version: '6.6.2' };
const full = { agentVersion: '0.1.0', current: R1, canary: R2, sites: 3, health: 'ok' as const, diskFreeBytes: 1_000 };

async function enrolledServer(name: string): Promise<ServerRow> {
  await insertServer(t.db, { name, address: `${name}:7443` });
  return markServerEnrolled(t.db, name, 'f'.repeat(64), T0);
}

describe('batch heartbeats', () => {
  it("write every reported field, the decided status and the database's time, per server", async () => {
    await enrolledServer('web-1');
    await enrolledServer('web-2');
    const before = await databaseNow(t.db);
    await store.recordHeartbeats([
      { serverName: 'web-1', report: full, status: 'online' },
      { serverName: 'web-2', report: { ...full, health: 'degraded', current: R2 }, status: 'degraded' },
    ]);
    const after = await databaseNow(t.db);
    // Whole rows: the listing reads only what servers list shows.
    const rows = (await Promise.all(['web-1', 'web-2'].map((name) => findServerByName(t.db, name)))).filter((r) => r !== undefined);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.lastSeenAt?.getTime()).toBeGreaterThanOrEqual(before.getTime());
      expect(row.lastSeenAt?.getTime()).toBeLessThanOrEqual(after.getTime());
    }
    expect(
      rows.map((s) => [s.name, s.status, s.currentRelease, s.currentVersion, s.canaryRelease, s.siteCount, s.health, s.diskFreeBytes]),
    ).toEqual([
      ['web-1', 'online', 'r1', '6.5.5', 'r2', 3, 'ok', 1_000],
      ['web-2', 'degraded', 'r2', '6.6.2', 'r2', 3, 'degraded', 1_000],
    ]);
  });

  it('a beat without summary keeps the last reported facts; null clears a link', async () => {
    await enrolledServer('web-1');
    await store.recordHeartbeats([{ serverName: 'web-1', report: full, status: 'online' }]);
    const before = await databaseNow(t.db);
    await store.recordHeartbeats([{ serverName: 'web-1', report: { agentVersion: '0.1.1', canary: null }, status: 'online' }]);
    expect(await findServerByName(t.db, 'web-1')).toMatchObject({
      agentVersion: '0.1.1',
      currentRelease: 'r1',
      canaryRelease: null,
      siteCount: 3,
      health: 'ok',
      diskFreeBytes: 1_000,
    });
    const after = await databaseNow(t.db);
    const lastSeen = (await findServerByName(t.db, 'web-1'))?.lastSeenAt?.getTime();
    expect(lastSeen).toBeGreaterThanOrEqual(before.getTime());
    expect(lastSeen).toBeLessThanOrEqual(after.getTime());
  });

  it('leave servers that are not enrolled alone', async () => {
    await insertServer(t.db, { name: 'web-9', address: 'web-9:7443' });
    const before = await listServers(t.db);
    await store.recordHeartbeats([
      { serverName: 'web-9', report: full, status: 'online' },
      { serverName: 'ghost', report: full, status: 'online' },
    ]);
    expect(await listServers(t.db)).toEqual(before);
  });

  it('lock and return only enrolled servers', async () => {
    await enrolledServer('web-1');
    await insertServer(t.db, { name: 'web-9', address: 'web-9:7443' });
    const locked = await store.transaction((tx) => tx.lockEnrolledServers(['web-1', 'web-9', 'ghost']));
    expect(locked.map((s) => [s.name, s.status, s.health])).toEqual([['web-1', 'pending', null]]);
  });
});

describe('inventory changes from agent events', () => {
  it('a site on a release keeps its other columns and takes the server version when it is the current release', async () => {
    const server = await enrolledServer('web-1');
    await recordHeartbeat(t.db, 'web-1', full, T0);
    await upsertSites(t.db, server.id, [{ domain: 'a.test', php: '8.2', cache: 'wpfc', ssl: true, release: 'r0', version: '6.4.5' }], T0);
    await store.applyInventoryChange(server.id, { kind: 'site-on-release', domain: 'a.test', release: 'r1' }, secondsAfter(T0, 1));
    await store.applyInventoryChange(server.id, { kind: 'site-on-release', domain: 'b.test', release: 'r9' }, secondsAfter(T0, 1));
    expect((await listSites(t.db)).map((s) => [s.domain, s.php, s.cache, s.ssl, s.release, s.version])).toEqual([
      ['a.test', '8.2', 'wpfc', true, 'r1', '6.5.5'],
      ['b.test', null, null, false, 'r9', null],
    ]);
  });

  it('a site reported with its facts is stored as reported', async () => {
    const server = await enrolledServer('web-1');
    await upsertSites(t.db, server.id, [{ domain: 'a.test', php: '7.4', cache: 'basic' }], T0);
    const facts = {
      domain: 'a.test',
      php: '8.2',
      cache: 'wpfc',
      ssl: true,
      release: 'r1',
      version: '6.4.5',
      health: 'ok' as const,
      diskBytes: 8192,
    };
    await store.applyInventoryChange(server.id, { kind: 'site-on-release', domain: 'a.test', release: 'r1', facts }, secondsAfter(T0, 1));
    expect((await listSites(t.db)).map((s) => [s.domain, s.php, s.cache, s.ssl, s.release, s.version, s.health, s.diskBytes])).toEqual([
      ['a.test', '8.2', 'wpfc', true, 'r1', '6.4.5', 'ok', 8192],
    ]);
  });

  it('a core switch moves the server and every one of its sites, not other servers', async () => {
    const web1 = await enrolledServer('web-1');
    const web2 = await enrolledServer('web-2');
    await upsertSites(
      t.db,
      web1.id,
      [
        { domain: 'a.test', release: 'r1' },
        { domain: 'b.test', release: 'r1' },
      ],
      T0,
    );
    await upsertSites(t.db, web2.id, [{ domain: 'c.test', release: 'r1' }], T0);
    await store.applyInventoryChange(web1.id, { kind: 'core-switched', ...R2 }, secondsAfter(T0, 1));
    expect((await listSites(t.db)).map((s) => [s.server, s.domain, s.release, s.version])).toEqual([
      ['web-1', 'a.test', 'r2', '6.6.2'],
      ['web-1', 'b.test', 'r2', '6.6.2'],
      ['web-2', 'c.test', 'r1', null],
    ]);
    expect(await findServerByName(t.db, 'web-1')).toMatchObject({ currentRelease: 'r2', currentVersion: '6.6.2' });
  });

  it("a health report sets the listed sites' health on that server only, and creates no site", async () => {
    const web1 = await enrolledServer('web-1');
    const web2 = await enrolledServer('web-2');
    await upsertSites(t.db, web1.id, [{ domain: 'a.test' }, { domain: 'b.test' }, { domain: 'c.test' }], T0);
    await upsertSites(t.db, web2.id, [{ domain: 'a.test' }], T0);
    const sites = { 'a.test': 'ok', 'b.test': 'unhealthy', 'new.test': 'ok' } as const;
    await store.applyInventoryChange(web1.id, { kind: 'health', health: 'unhealthy', sites }, secondsAfter(T0, 1));
    expect((await listSites(t.db)).map((s) => [s.server, s.domain, s.health])).toEqual([
      ['web-1', 'a.test', 'ok'],
      ['web-1', 'b.test', 'unhealthy'],
      ['web-1', 'c.test', null],
      ['web-2', 'a.test', null],
    ]);
  });

  it('a site gone is removed', async () => {
    const server = await enrolledServer('web-1');
    await upsertSites(t.db, server.id, [{ domain: 'a.test' }, { domain: 'b.test' }], T0);
    await store.applyInventoryChange(server.id, { kind: 'site-gone', domain: 'a.test' }, T0);
    expect((await listSites(t.db)).map((s) => s.domain)).toEqual(['b.test']);
  });

  it.each([
    ['online', 'unhealthy', 'degraded'],
    ['degraded', 'ok', 'online'],
    ['offline', 'degraded', 'offline'],
    ['pending', 'unhealthy', 'pending'],
  ] as const)('a health change on a %s server to %s leaves it %s', async (status, health, expected) => {
    const server = await enrolledServer('web-1');
    if (status !== 'pending') await recordHeartbeat(t.db, 'web-1', full, T0);
    if (status === 'degraded') await recordHeartbeat(t.db, 'web-1', { ...full, health: 'degraded' }, T0);
    if (status === 'offline') await store.markSilentServersOffline(0);
    expect((await findServerByName(t.db, 'web-1'))?.status).toBe(status);
    await store.applyInventoryChange(server.id, { kind: 'health', health }, secondsAfter(T0, 2));
    expect(await findServerByName(t.db, 'web-1')).toMatchObject({ health, status: expected });
  });
});
