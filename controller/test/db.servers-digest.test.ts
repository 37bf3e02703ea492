import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { insertServer, markServerEnrolled, recordHeartbeat, removeServer, updateServer } from '../src/db/index.js';
import { listServerSummaries, serverSummariesDigest } from '../src/db/servers.js';
import { servers } from '../src/db/schema/servers.js';
import type { Database } from '../src/db/database.js';
import { secondsAfter, T0, useTestPglite, useTestPostgres } from './db.fixtures.js';

/**
 * The inventory digest the campaign engine polls before re-reading every server: it must
 * move with every column listServerSummaries reads, and with rows coming and going,
 * and stay where it is under heartbeats (which rewrite other columns of every row).
 */
function digestCases(t: { readonly db: Database }): void {
  const moves = async (change: () => Promise<unknown>): Promise<boolean> => {
    const before = await serverSummariesDigest(t.db);
    const summaries = await listServerSummaries(t.db);
    await change();
    const moved = (await serverSummariesDigest(t.db)) !== before;
    // The digest moves exactly when what the engine reads does.
    expect(moved).toBe(JSON.stringify(await listServerSummaries(t.db)) !== JSON.stringify(summaries));
    return moved;
  };

  it('moves when a server comes, is enrolled, changes address, labels, canary or status, reports another agent version, or goes', async () => {
    expect(await moves(() => insertServer(t.db, { name: 'web-1', address: '10.0.0.1:7443', labels: { region: 'eu' } }))).toBe(true);
    await insertServer(t.db, { name: 'web-2', address: '10.0.0.2:7443' });
    expect(await moves(() => markServerEnrolled(t.db, 'web-1', 'f'.repeat(64), T0, null, '0.2.0'))).toBe(true);
    expect(await moves(() => updateServer(t.db, 'web-1', { address: '10.0.0.9:7443' }, T0))).toBe(true);
    expect(await moves(() => updateServer(t.db, 'web-1', { labels: { region: 'us' } }, T0))).toBe(true);
    expect(await moves(() => updateServer(t.db, 'web-1', { canary: true }, T0))).toBe(true);
    expect(await moves(() => recordHeartbeat(t.db, 'web-1', { agentVersion: '0.2.0', health: 'degraded' }, secondsAfter(T0, 1)))).toBe(
      true,
    );
    expect(await moves(() => recordHeartbeat(t.db, 'web-1', { agentVersion: '0.2.1' }, secondsAfter(T0, 2)))).toBe(true);
    expect(await moves(() => t.db.update(servers).set({ status: 'offline' }).where(eq(servers.name, 'web-1')))).toBe(true);
    expect(await moves(() => removeServer(t.db, 'web-2'))).toBe(true);
  });

  it('stays under heartbeats that change only presence columns, and under a rewrite of the same values', async () => {
    await insertServer(t.db, { name: 'web-1', address: '10.0.0.1:7443' });
    await markServerEnrolled(t.db, 'web-1', 'f'.repeat(64), T0, null, '0.2.0');
    await recordHeartbeat(t.db, 'web-1', { agentVersion: '0.2.0', health: 'ok' }, T0);
    const beat = {
      agentVersion: '0.2.0',
      current: { release: 'wp-6.5.5-1', version: '6.5.5' },
      sites: 3,
      health: 'ok' as const,
      diskFreeBytes: 1e9,
    };
    expect(await moves(() => recordHeartbeat(t.db, 'web-1', beat, secondsAfter(T0, 10)))).toBe(false);
    expect(await moves(() => recordHeartbeat(t.db, 'web-1', { ...beat, sites: 4, diskFreeBytes: 2e9 }, secondsAfter(T0, 20)))).toBe(false);
    expect(await moves(() => updateServer(t.db, 'web-1', { address: '10.0.0.1:7443' }, secondsAfter(T0, 30)))).toBe(false);
  });

  it('of an empty inventory is a value too', async () => {
    expect(await serverSummariesDigest(t.db)).toBe('0:0');
  });
}

describe('inventory digest on Postgres', () => digestCases(useTestPostgres()));
describe('inventory digest on PGlite', () => digestCases(useTestPglite()));
