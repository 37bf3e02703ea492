import { expect } from 'vitest';
import { StateError } from '@wofleet/shared';
import {
  consumeEnrollmentToken,
  finishOperation,
  insertEnrollmentToken,
  insertOperation,
  insertRelease,
  insertServer,
  listAuditEvents,
  listReleases,
  listServers,
  listSites,
  markOfflineServers,
  markServerEnrolled,
  recordAuditEvent,
  recordHeartbeat,
  removeServer,
  ReleaseExistsError,
  ServerExistsError,
  ServerNotFoundError,
  upsertSites,
  type Database,
} from '../src/db/index.js';
import { secondsAfter, T0 } from './db.fixtures.js';

/**
 * The core flows of the database layer, each a short scenario over one aggregate.
 * They run on Postgres (db.flows.test.ts) and on PGlite (db.pglite.test.ts), so both
 * drivers are held to the same behaviour. Each expects empty tables.
 */
export const HASH_A = 'a'.repeat(64);
export const HASH_B = 'b'.repeat(64);

const names = (rows: { name: string }[]) => rows.map((r) => r.name);

export const coreFlows: Record<string, (db: Database) => Promise<void>> = {
  async 'servers are registered, listed by label and removed'(db) {
    await insertServer(db, { name: 'web-2', address: '10.0.0.2:7443', labels: { region: 'eu', tier: 'web' } });
    await insertServer(db, { name: 'web-1', address: '10.0.0.1:7443', labels: { region: 'eu' }, canary: true });
    await insertServer(db, { name: 'web-3', address: '10.0.0.3:7443', labels: { region: 'us' } });

    expect(names(await listServers(db))).toEqual(['web-1', 'web-2', 'web-3']);
    expect(names(await listServers(db, { labels: { region: 'eu' } }))).toEqual(['web-1', 'web-2']);
    expect(names(await listServers(db, { labels: { region: 'eu', tier: 'web' } }))).toEqual(['web-2']);
    const [first] = await listServers(db);
    expect(first).toMatchObject({ name: 'web-1', canary: true, status: 'pending', labels: { region: 'eu' }, lastSeenAt: null });

    await removeServer(db, 'web-2');
    expect(names(await listServers(db))).toEqual(['web-1', 'web-3']);
    await expect(removeServer(db, 'web-2')).rejects.toThrow(ServerNotFoundError);
  },

  async 'a duplicate server name is refused with ServerExistsError'(db) {
    await insertServer(db, { name: 'web-1', address: '10.0.0.1:7443' });
    const err = await insertServer(db, { name: 'web-1', address: '10.0.0.9:7443' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerExistsError);
    expect(err).toBeInstanceOf(StateError);
    expect((err as Error).message).toBe("server 'web-1' already exists");
    expect((await listServers(db)).map((s) => s.address)).toEqual(['10.0.0.1:7443']);
  },

  async 'heartbeats update presence of enrolled servers only'(db) {
    await insertServer(db, { name: 'web-1', address: '10.0.0.1:7443' });
    expect(await recordHeartbeat(db, 'web-1', { agentVersion: '0.1.0', health: 'ok' }, T0)).toBeUndefined();
    expect(await recordHeartbeat(db, 'nobody', { agentVersion: '0.1.0' }, T0)).toBeUndefined();

    await markServerEnrolled(db, 'web-1', 'f'.repeat(64), T0);
    const beat = {
      agentVersion: '0.2.0',
      current: { release: 'wp-6.5.5-abc', version: '6.5.5' },
      canary: null,
      sites: 12,
      health: 'ok' as const,
      diskFreeBytes: 5_000_000_000,
    };
    const online = await recordHeartbeat(db, 'web-1', beat, secondsAfter(T0, 10));
    expect(online).toMatchObject({
      status: 'online',
      lastSeenAt: secondsAfter(T0, 10),
      agentVersion: '0.2.0',
      currentRelease: 'wp-6.5.5-abc',
      currentVersion: '6.5.5',
      canaryRelease: null,
      siteCount: 12,
      health: 'ok',
      diskFreeBytes: 5_000_000_000,
    });
    const degraded = await recordHeartbeat(db, 'web-1', { ...beat, health: 'unhealthy' }, secondsAfter(T0, 20));
    expect(degraded).toMatchObject({ status: 'degraded', health: 'unhealthy', lastSeenAt: secondsAfter(T0, 20) });
  },

  async 'servers silent for too long go offline and come back with the next heartbeat'(db) {
    for (const name of ['web-1', 'web-2', 'web-3']) {
      await insertServer(db, { name, address: `${name}:7443` });
      if (name !== 'web-3') await markServerEnrolled(db, name, 'f'.repeat(64), T0);
    }
    await recordHeartbeat(db, 'web-1', { agentVersion: '0.1.0', health: 'ok' }, T0);
    await recordHeartbeat(db, 'web-2', { agentVersion: '0.1.0', health: 'degraded' }, secondsAfter(T0, 25));

    expect(await markOfflineServers(db, secondsAfter(T0, 20))).toEqual(['web-1']);
    expect(await markOfflineServers(db, secondsAfter(T0, 20))).toEqual([]);
    expect(await markOfflineServers(db, secondsAfter(T0, 60))).toEqual(['web-2']);
    expect((await listServers(db)).map((s) => [s.name, s.status])).toEqual([
      ['web-1', 'offline'],
      ['web-2', 'offline'],
      ['web-3', 'pending'],
    ]);
    expect(await recordHeartbeat(db, 'web-1', { agentVersion: '0.1.0', health: 'ok' }, secondsAfter(T0, 70))).toMatchObject({
      status: 'online',
    });
  },

  async 'sites are upserted per server and listed by server and version'(db) {
    const web1 = await insertServer(db, { name: 'web-1', address: 'web-1:7443' });
    const web2 = await insertServer(db, { name: 'web-2', address: 'web-2:7443' });
    await upsertSites(db, web1.id, [
      { domain: 'b.example', php: '8.2', release: 'r1', version: '6.5.5', health: 'ok' },
      { domain: 'a.example', php: '8.2', cache: 'wpfc', ssl: true, release: 'r1', version: '6.5.5', health: 'ok' },
    ]);
    await upsertSites(db, web2.id, [{ domain: 'a.example', php: '8.3', release: 'r0', version: '6.4.5', health: 'degraded' }]);
    await upsertSites(db, web1.id, [{ domain: 'b.example', php: '8.3', release: 'r2', version: '6.6.2', health: 'ok' }]);

    const all = await listSites(db);
    expect(all.map((s) => [s.server, s.domain, s.version])).toEqual([
      ['web-1', 'a.example', '6.5.5'],
      ['web-1', 'b.example', '6.6.2'],
      ['web-2', 'a.example', '6.4.5'],
    ]);
    expect(all[0]).toMatchObject({ php: '8.2', cache: 'wpfc', ssl: true, release: 'r1', health: 'ok' });
    expect((await listSites(db, { version: '6.5.5' })).map((s) => `${s.server}/${s.domain}`)).toEqual(['web-1/a.example']);
    expect((await listSites(db, { server: 'web-2' })).map((s) => s.domain)).toEqual(['a.example']);
    expect(await listSites(db, { server: 'web-2', version: '6.5.5' })).toEqual([]);

    await removeServer(db, 'web-1');
    expect((await listSites(db)).map((s) => s.server)).toEqual(['web-2']);
  },

  async 'releases are listed by version and added once'(db) {
    await insertRelease(db, { version: '6.10.0', digest: { algorithm: 'sha256', hex: 'c'.repeat(64) } });
    await insertRelease(db, {
      version: '6.5.5',
      url: 'https://wordpress.org/wordpress-6.5.5.tar.gz',
      digest: { algorithm: 'sha1', hex: 'd'.repeat(40) },
      sizeBytes: 24_000_000,
      dbVersion: 57155,
    });
    const list = await listReleases(db);
    expect(list.map((r) => r.version)).toEqual(['6.5.5', '6.10.0']);
    expect(list[0]).toMatchObject({ digestAlgorithm: 'sha1', digestHex: 'd'.repeat(40), sizeBytes: 24_000_000, dbVersion: 57155 });
    expect(list[1]).toMatchObject({ url: null, sizeBytes: null });
    await expect(insertRelease(db, { version: '6.5.5', digest: { algorithm: 'sha256', hex: 'e'.repeat(64) } })).rejects.toThrow(
      ReleaseExistsError,
    );
  },

  async 'an enrollment token is good once, before it expires'(db) {
    const server = await insertServer(db, { name: 'web-1', address: 'web-1:7443' });
    await insertEnrollmentToken(db, server.id, HASH_A, secondsAfter(T0, 3600));
    await insertEnrollmentToken(db, server.id, HASH_B, secondsAfter(T0, 60));

    const attempts = await Promise.all([1, 2].map(() => consumeEnrollmentToken(db, HASH_A, T0)));
    expect(attempts.filter((a) => a.ok)).toHaveLength(1);
    expect(attempts.find((a) => !a.ok)).toEqual({ ok: false, reason: 'used' });
    expect(attempts.find((a) => a.ok)).toMatchObject({ ok: true, server: { name: 'web-1' } });

    expect(await consumeEnrollmentToken(db, HASH_A, T0)).toEqual({ ok: false, reason: 'used' });
    expect(await consumeEnrollmentToken(db, HASH_B, secondsAfter(T0, 61))).toEqual({ ok: false, reason: 'expired' });
    expect(await consumeEnrollmentToken(db, 'c'.repeat(64), T0)).toEqual({ ok: false, reason: 'unknown' });
  },

  async 'an agent event redelivered by NATS is recorded once'(db) {
    const server = await insertServer(db, { name: 'web-1', address: 'web-1:7443' });
    const event = {
      at: T0,
      actor: 'agent:web-1',
      serverId: server.id,
      kind: 'switched',
      subject: 'web-1',
      data: { from: 'r1', to: 'r2' },
      sourceEventId: '01JAGENTEVENT0001',
    };
    const first = await recordAuditEvent(db, event);
    expect(first).toMatchObject({ kind: 'switched', data: { from: 'r1', to: 'r2' }, at: T0 });
    expect(await recordAuditEvent(db, event)).toBeUndefined();
    await recordAuditEvent(db, { at: T0, actor: 'operator:alice', kind: 'release-added', subject: '6.5.5' });
    await recordAuditEvent(db, { at: T0, actor: 'operator:alice', kind: 'release-added', subject: '6.6.2' });

    expect((await listAuditEvents(db, { limit: 10 })).map((e) => e.subject)).toEqual(['6.6.2', '6.5.5', 'web-1']);
    expect((await listAuditEvents(db, { limit: 2 })).map((e) => e.subject)).toEqual(['6.6.2', '6.5.5']);
    expect((await listAuditEvents(db, { server: 'web-1', limit: 10 })).map((e) => e.sourceEventId)).toEqual(['01JAGENTEVENT0001']);
  },

  async 'an operation records its first outcome only'(db) {
    const server = await insertServer(db, { name: 'web-1', address: 'web-1:7443' });
    const op = await insertOperation(
      db,
      { id: 'op-1', serverId: server.id, kind: 'update', requestedBy: 'alice', request: { release: '6.6.2' } },
      T0,
    );
    expect(op).toMatchObject({ state: 'pending', createdAt: T0, finishedAt: null, request: { release: '6.6.2' } });
    const done = await finishOperation(db, 'op-1', { state: 'succeeded', result: { switched: true } }, secondsAfter(T0, 5));
    expect(done).toMatchObject({ state: 'succeeded', result: { switched: true }, error: null, finishedAt: secondsAfter(T0, 5) });
    expect(await finishOperation(db, 'op-1', { state: 'failed', error: 'late' }, secondsAfter(T0, 9))).toBeUndefined();
  },
};
