import { describe, expect, it } from 'vitest';
import {
  findOperation,
  insertOperation,
  insertServer,
  listAuditEvents,
  listServers,
  markServerEnrolled,
  recordAuditEvent,
  recordHeartbeat,
  removeServer,
  ServerExistsError,
} from '../src/db/index.js';
import { useTestPostgres, secondsAfter, T0 } from './db.fixtures.js';

const t = useTestPostgres();

async function enrolledServer(name: string) {
  await insertServer(t.db, { name, address: `${name}:7443` });
  return markServerEnrolled(t.db, name, 'f'.repeat(64), T0);
}

describe('servers', () => {
  it('an empty label filter lists every server', async () => {
    await insertServer(t.db, { name: 'web-1', address: 'web-1:7443', labels: { region: 'eu' } });
    await insertServer(t.db, { name: 'web-2', address: 'web-2:7443' });
    expect((await listServers(t.db, { labels: {} })).map((s) => s.name)).toEqual(['web-1', 'web-2']);
  });

  it('a label filter matches values exactly', async () => {
    await insertServer(t.db, { name: 'web-1', address: 'web-1:7443', labels: { region: 'eu-west' } });
    expect(await listServers(t.db, { labels: { region: 'eu' } })).toEqual([]);
    expect(await listServers(t.db, { labels: { 'region"': 'eu-west' } })).toEqual([]);
  });

  it('of two registrations of one name at the same time, one is refused with ServerExistsError', async () => {
    const results = await Promise.allSettled([1, 2, 3].map((i) => insertServer(t.db, { name: 'web-1', address: `10.0.0.${i}:7443` })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ServerExistsError);
  });

  it('records the certificate fingerprint at enrollment', async () => {
    const server = await enrolledServer('web-1');
    expect(server).toMatchObject({ enrolledAt: T0, certFingerprint: 'f'.repeat(64), status: 'pending' });
  });

  it('removing a server keeps its audit events and operations, detached from it', async () => {
    const server = await insertServer(t.db, { name: 'web-1', address: 'web-1:7443' });
    await recordAuditEvent(t.db, { at: T0, actor: 'operator:alice', serverId: server.id, kind: 'server-added', subject: 'web-1' });
    await insertOperation(t.db, { id: 'op-1', serverId: server.id, kind: 'update', requestedBy: 'alice' });
    await removeServer(t.db, 'web-1');
    expect(await listAuditEvents(t.db, { limit: 10 })).toMatchObject([{ subject: 'web-1', serverId: null }]);
    expect(await findOperation(t.db, 'op-1')).toMatchObject({ serverId: null, kind: 'update' });
  });
});

describe('recordHeartbeat', () => {
  const full = {
    agentVersion: '0.1.0',
    current: { release: 'r1', version: '6.5.5' },
    canary: { release: 'r2', version: '6.6.2' },
    sites: 3,
    health: 'ok' as const,
    diskFreeBytes: 1_000,
  };

  it('a beat without a summary refreshes presence and keeps the last reported facts', async () => {
    await enrolledServer('web-1');
    await recordHeartbeat(t.db, 'web-1', full, T0);
    const row = await recordHeartbeat(t.db, 'web-1', { agentVersion: '0.1.1' }, secondsAfter(T0, 10));
    expect(row).toMatchObject({
      status: 'online',
      lastSeenAt: secondsAfter(T0, 10),
      agentVersion: '0.1.1',
      currentRelease: 'r1',
      currentVersion: '6.5.5',
      canaryRelease: 'r2',
      siteCount: 3,
      health: 'ok',
      diskFreeBytes: 1_000,
    });
  });

  it('a beat without a summary leaves a degraded server degraded', async () => {
    await enrolledServer('web-1');
    await recordHeartbeat(t.db, 'web-1', { ...full, health: 'unhealthy' }, T0);
    expect(await recordHeartbeat(t.db, 'web-1', { agentVersion: '0.1.1' }, secondsAfter(T0, 10))).toMatchObject({
      status: 'degraded',
      health: 'unhealthy',
    });
  });

  it('a beat with no current or canary link clears them', async () => {
    await enrolledServer('web-1');
    await recordHeartbeat(t.db, 'web-1', full, T0);
    const row = await recordHeartbeat(t.db, 'web-1', { ...full, current: null, canary: null }, secondsAfter(T0, 10));
    expect(row).toMatchObject({ currentRelease: null, currentVersion: null, canaryRelease: null });
  });

  it('a degraded server is online again once its health is ok', async () => {
    await enrolledServer('web-1');
    expect(await recordHeartbeat(t.db, 'web-1', { ...full, health: 'degraded' }, T0)).toMatchObject({ status: 'degraded' });
    expect(await recordHeartbeat(t.db, 'web-1', full, secondsAfter(T0, 10))).toMatchObject({ status: 'online' });
  });

  it('keeps disk sizes beyond 2^31 bytes', async () => {
    await enrolledServer('web-1');
    const row = await recordHeartbeat(t.db, 'web-1', { ...full, diskFreeBytes: 3 * 2 ** 40 }, T0);
    expect(row?.diskFreeBytes).toBe(3 * 2 ** 40);
  });
});
