import { status } from '@grpc/grpc-js';
import type { ListSitesResponse, Site } from '@wofleet/proto';
import { createFleetCa, NotFoundError, silentLogger, StateError, type FleetCa } from '@wofleet/shared';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AgentUnreachableError, type AgentApi } from '../src/agents/client.js';
import type { ControllerContext } from '../src/context/index.js';
import { insertServer, listAuditEvents, listSites, markServerEnrolled, upsertSites, type Database } from '../src/db/index.js';
import type { AgentDialer } from '../src/servers/live.js';
import { SITE_SYNC_PARALLEL, startSiteSyncs } from '../src/sites/sync-on-return.js';
import { AUDIT_SITES_SYNCED, syncServerSites } from '../src/sites/sync.js';
import { emptyTables, openTestPglite, openTestPostgres, T0, type TestDatabase } from './db.fixtures.js';
import { createFakeClock } from './fake-clock.js';

// `servers sync` and the sync when a server comes back, on both databases the controller runs on.

const site = (domain: string, facts: Partial<Site> = {}): Site => ({
  domain,
  php: '8.2',
  cache: 'basic',
  ssl: false,
  link: 'SITE_LINK_CURRENT',
  release: 'r1',
  version: '6.4.5',
  health: 'HEALTH_LEVEL_OK',
  problem: '',
  diskBytes: 4096,
  ...facts,
});

/** The agent's ListSites, answering what the test says (or failing as an unreachable agent does). */
function agentAnswering(answers: Array<Site[] | 'unreachable'>): { dial: AgentDialer; calls: () => number } {
  let calls = 0;
  const dial: AgentDialer = (target) =>
    ({
      server: target.server,
      address: target.address,
      async listSites(): Promise<ListSitesResponse> {
        const answer = answers[Math.min(calls++, answers.length - 1)];
        if (answer === 'unreachable' || answer === undefined)
          throw new AgentUnreachableError(target.server, status.UNAVAILABLE, `agent ${target.server} at ${target.address} is unreachable`);
        return { sites: answer };
      },
      close() {},
    }) as unknown as AgentApi;
  return { dial, calls: () => calls };
}

let ca: FleetCa;
beforeAll(async () => {
  ca = await createFleetCa({ commonName: 'sync-test', validDays: 1 });
});

const backends: Array<[string, () => Promise<TestDatabase>]> = [
  ['Postgres', openTestPostgres],
  ['PGlite', openTestPglite],
];

describe.each(backends)('site sync on %s', (_name, open) => {
  let t: TestDatabase;
  let ctx: ControllerContext;
  beforeAll(async () => {
    t = await open();
  }, 120_000);
  afterAll(async () => {
    await t?.destroy();
  });
  beforeEach(async () => {
    await emptyTables(t.db);
    ctx = { db: t.db, ca, clock: createFakeClock(T0), log: silentLogger() };
  });

  async function enrolled(db: Database, name: string) {
    await insertServer(db, { name, address: `${name}:7443` });
    return markServerEnrolled(db, name, 'f'.repeat(64), T0);
  }

  it("stores the agent's full list with every fact and forgets what it no longer reports, on that server only", async () => {
    const web1 = await enrolled(t.db, 'web-1');
    const web2 = await enrolled(t.db, 'web-2');
    await upsertSites(t.db, web1.id, [{ domain: 'gone.test' }, { domain: 'a.test', php: '7.4' }], T0);
    await upsertSites(t.db, web2.id, [{ domain: 'gone.test' }], T0);
    const agent = agentAnswering([
      [
        site('a.test', { cache: 'wpfc', diskBytes: 123_456_789_012 }),
        site('b.test', { php: '8.3', ssl: true, health: 'HEALTH_LEVEL_DEGRADED', problem: 'db_version 1, expected 2' }),
      ],
    ]);
    const synced = await syncServerSites(ctx, 'web-1', agent.dial, 'operator:alice');
    expect(synced.removed).toEqual(['gone.test']);
    expect(synced.sites.map((s) => [s.domain, s.php, s.cache, s.ssl, s.health, s.diskBytes, s.release, s.version])).toEqual([
      ['a.test', '8.2', 'wpfc', false, 'ok', 123_456_789_012, 'r1', '6.4.5'],
      ['b.test', '8.3', 'basic', true, 'degraded', 4096, 'r1', '6.4.5'],
    ]);
    expect((await listSites(t.db, { server: 'web-2' })).map((s) => s.domain)).toEqual(['gone.test']);
    const [audit] = await listAuditEvents(t.db, { server: 'web-1', limit: 1 });
    expect(audit).toMatchObject({ kind: AUDIT_SITES_SYNCED, actor: 'operator:alice', data: { sites: 2, removed: ['gone.test'] } });
  });

  it('an agent with no site leaves the server with none', async () => {
    const web1 = await enrolled(t.db, 'web-1');
    await upsertSites(t.db, web1.id, [{ domain: 'a.test' }], T0);
    const synced = await syncServerSites(ctx, 'web-1', agentAnswering([[]]).dial, 'operator:alice');
    expect(synced).toEqual({ server: 'web-1', sites: [], removed: ['a.test'] });
  });

  it('refuses an unknown server, one not enrolled, an agent that does not answer, and a malformed site, changing nothing', async () => {
    const web1 = await enrolled(t.db, 'web-1');
    await insertServer(t.db, { name: 'new-1', address: 'new-1:7443' });
    await upsertSites(t.db, web1.id, [{ domain: 'a.test', php: '8.1' }], T0);
    const ok = agentAnswering([[site('b.test')]]).dial;
    await expect(syncServerSites(ctx, 'nope', ok, 'operator:alice')).rejects.toThrow(NotFoundError);
    await expect(syncServerSites(ctx, 'new-1', ok, 'operator:alice')).rejects.toThrow(/new-1 is not enrolled yet/);
    await expect(syncServerSites(ctx, 'web-1', agentAnswering(['unreachable']).dial, 'operator:alice')).rejects.toThrow(
      /agent web-1 at web-1:7443 is unreachable/,
    );
    const malformed = agentAnswering([[site('b.test', { diskBytes: -1 })]]).dial;
    await expect(syncServerSites(ctx, 'web-1', malformed, 'operator:alice')).rejects.toThrow(StateError);
    expect((await listSites(t.db)).map((s) => [s.domain, s.php])).toEqual([['a.test', '8.1']]);
  });

  it('a server that comes back is synced, retrying while its agent does not listen yet', async () => {
    await enrolled(t.db, 'web-1');
    const clock = createFakeClock(T0);
    const agent = agentAnswering(['unreachable', 'unreachable', [site('a.test', { cache: 'wpredis' })]]);
    const syncs = startSiteSyncs({ ...ctx, clock }, agent.dial);
    syncs.request('web-1');
    syncs.request('web-1'); // folded into the one under way
    // Each failed call waits 2 s of the fake clock before the next; the database work between runs in real time.
    for (const calls of [1, 2]) {
      await vi.waitFor(() => expect(agent.calls()).toBe(calls));
      await clock.advance(2_000);
    }
    await vi.waitFor(async () => expect(await listSites(t.db)).toHaveLength(1));
    expect(agent.calls()).toBe(3);
    expect((await listSites(t.db)).map((s) => [s.domain, s.cache])).toEqual([['a.test', 'wpredis']]);
    await syncs.stop();
  });

  it('a whole fleet coming back is synced a few servers at a time, each once', async () => {
    const names = Array.from({ length: 3 * SITE_SYNC_PARALLEL }, (_, i) => `web-${i + 1}`);
    for (const name of names) await enrolled(t.db, name);
    let inFlight = 0;
    let most = 0;
    const dialled: string[] = [];
    const release: Array<() => void> = [];
    const dial: AgentDialer = (target) =>
      ({
        async listSites(): Promise<ListSitesResponse> {
          dialled.push(target.server);
          most = Math.max(most, ++inFlight);
          await new Promise<void>((resolve) => release.push(resolve));
          inFlight--;
          return { sites: [site(`${target.server}.test`)] };
        },
        close() {},
      }) as unknown as AgentApi;
    const syncs = startSiteSyncs(ctx, dial);
    for (const name of names) syncs.request(name);
    for (const name of names) syncs.request(name); // a second beat while waiting or running: folded in
    // Every slot fills before one is freed (released sooner, the peak depended on the machine's speed).
    await vi.waitFor(() => expect(inFlight).toBe(SITE_SYNC_PARALLEL), { timeout: 10_000 });
    while (dialled.length < names.length || release.length > 0) {
      await vi.waitFor(() => expect(release.length).toBeGreaterThan(0));
      expect(inFlight).toBeLessThanOrEqual(SITE_SYNC_PARALLEL);
      release.shift()?.();
    }
    await vi.waitFor(async () => expect(await listSites(t.db)).toHaveLength(names.length));
    expect(most).toBe(SITE_SYNC_PARALLEL);
    expect(dialled.sort()).toEqual([...names].sort());
    await syncs.stop();
  });
});
