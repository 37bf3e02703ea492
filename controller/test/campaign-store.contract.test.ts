import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createCampaignRepository } from '../src/campaign-store/index.js';
import { campaigns } from '../src/db/schema/campaigns.js';
import { parseCampaignRequest, ServerInActiveCampaignError, type CampaignPlan, type CampaignRepository } from '../src/campaigns/index.js';
import { requestText } from './campaigns.fixtures.js';
import { createMemoryRepository, type MemoryRepository } from './campaigns.memory-repository.js';
import { insertServer } from '../src/db/index.js';
import type { Database } from '../src/db/database.js';
import { T0, useTestPglite, useTestPostgres } from './db.fixtures.js';

/**
 * The CampaignRepository contract, the same cases on each implementation the engine
 * runs on: campaign-store/ on Postgres and on PGlite, and the in-memory one of the
 * engine unit tests (so what those show holds on the real stores).
 */
const plan = (servers: string[]): CampaignPlan => ({
  request: parseCampaignRequest(requestText({ servers, waves: '1' })),
  release: { version: '6.5.5', url: 'file:///fixtures/wordpress-6.5.5.tar.gz', digest: { algorithm: 'sha256', hex: 'a'.repeat(64) } },
  canary: servers[0] ?? '',
  canarySiteServers: [],
  waves: servers.map((server, index) => ({ index, servers: [server] })),
  offlineServers: [],
});

/** Registers a server in the inventory the repository reads. */
type AddServer = (name: string) => Promise<void>;

function contract(repository: () => CampaignRepository, addServer: AddServer): void {
  it('records a campaign running, its waves and targets pending, and lists it among the active ones', async () => {
    const repo = repository();
    const { id, event } = await repo.insertCampaign(plan(['web-1', 'web-2']), 'operator:alice', T0);
    expect(event).toMatchObject({ campaignId: id, scope: 'campaign', state: 'running', reason: 'started: 6.5.5', at: T0.toISOString() });
    const record = await repo.loadCampaign(id);
    expect(record?.campaign).toMatchObject({ id, state: 'running', createdBy: 'operator:alice', finishedAt: null, reason: null });
    expect(record?.waves.map((w) => [w.index, w.state])).toEqual([
      [0, 'pending'],
      [1, 'pending'],
    ]);
    expect(record?.targets.map((t) => [t.server, t.wave, t.state, t.active])).toEqual([
      ['web-1', 0, 'pending', true],
      ['web-2', 1, 'pending', true],
    ]);
    expect(await repo.readCampaignState(id)).toBe('running');
    expect(await repo.listCampaignIds({ active: true })).toEqual([id]);
    expect(await repo.listCampaignIds({ active: false })).toEqual([]);
    expect(await repo.findActiveCampaignsOf(['web-2', 'web-3'])).toEqual([{ server: 'web-2', campaignId: id }]);
  });

  it('a server is in at most one active campaign: refused while the first is active, free once it ended', async () => {
    const repo = repository();
    const { id: first } = await repo.insertCampaign(plan(['web-1']), 'operator:alice', T0);
    await expect(repo.insertCampaign(plan(['web-2', 'web-1']), 'operator:bob', T0)).rejects.toThrow(ServerInActiveCampaignError);
    await repo.withCampaignLocked(first, (_lock, write) => write.campaignState(first, { state: 'succeeded', reason: null }, 'test', T0));
    expect(await repo.findActiveCampaignsOf(['web-1'])).toEqual([]);
    const { id: second } = await repo.insertCampaign(plan(['web-1']), 'operator:bob', T0);
    // Rolling the first back would make it hold web-1 again.
    await expect(
      repo.withCampaignLocked(first, (_lock, write) => write.campaignState(first, { state: 'rolling-back', reason: null }, 'test', T0)),
    ).rejects.toThrow(ServerInActiveCampaignError);
    expect(await repo.findActiveCampaignsOf(['web-1'])).toEqual([{ server: 'web-1', campaignId: second }]);
    expect((await repo.loadCampaign(first))?.campaign).toMatchObject({ state: 'succeeded', finishedAt: T0 });
  });

  it('writes under the lock commit together or not at all, and each returns its event', async () => {
    const repo = repository();
    const { id } = await repo.insertCampaign(plan(['web-1']), 'operator:alice', T0);
    const target = { campaignId: id, server: 'web-1', wave: 0 };
    await expect(
      repo.withCampaignLocked(id, async (_lock, write) => {
        await write.targetState(target, 'staging', { operationId: 'op-1' }, 'test', T0);
        throw new Error('broke off');
      }),
    ).rejects.toThrow('broke off');
    expect((await repo.loadCampaign(id))?.targets[0]?.state).toBe('pending');
    const events = await repo.withCampaignLocked(id, async (lock, write) => [
      lock?.state,
      await write.waveState(id, 0, 'running', 'test', T0),
      await write.targetState(target, 'failed', { failedAt: T0, reason: 'no' }, 'test', T0),
    ]);
    expect(events).toMatchObject([
      'running',
      { scope: 'wave', state: 'running', wave: 0 },
      { scope: 'target', state: 'failed', server: 'web-1', wave: 0, reason: 'no' },
    ]);
    const record = await repo.loadCampaign(id);
    expect(record?.waves[0]).toMatchObject({ state: 'running', startedAt: T0 });
    expect(record?.targets[0]).toMatchObject({ state: 'failed', failedAt: T0, reason: 'no', updatedAt: T0 });
    expect(await repo.withCampaignLocked('00000000-0000-4000-8000-000000000000', async (lock) => lock)).toBeUndefined();
  });

  it("steps' transitions asked for together are each written while the server is in the inventory, and not at all once it is not", async () => {
    const repo = repository();
    await addServer('web-1');
    await addServer('web-3');
    const { id } = await repo.insertCampaign(plan(['web-1', 'web-2', 'web-3']), 'operator:alice', T0);
    const T1 = new Date(T0.getTime() + 1000);
    const events = await repo.withCampaignLocked(id, (_lock, write) =>
      Promise.all([
        write.stepTargetState({ campaignId: id, server: 'web-1', wave: 0 }, 'staging', { operationId: 'op-1' }, 'test', T0),
        write.stepTargetState({ campaignId: id, server: 'web-2', wave: 1 }, 'staging', { operationId: 'op-2' }, 'test', T0),
        write.stepTargetState(
          { campaignId: id, server: 'web-3', wave: 2 },
          'verifying',
          { switched: true, fromDbVersion: 57155, verifyingSince: T1, reason: null },
          'test',
          T1,
        ),
      ]),
    );
    expect(events).toEqual([
      { campaignId: id, scope: 'target', state: 'staging', wave: 0, server: 'web-1', reason: undefined, at: T0.toISOString() },
      undefined,
      { campaignId: id, scope: 'target', state: 'verifying', wave: 2, server: 'web-3', reason: undefined, at: T1.toISOString() },
    ]);
    const targets = (await repo.loadCampaign(id))?.targets.map((t) => ({
      server: t.server,
      state: t.state,
      operationId: t.operationId,
      switched: t.switched,
      fromDbVersion: t.fromDbVersion,
      verifyingSince: t.verifyingSince,
      updatedAt: t.updatedAt,
    }));
    expect(targets).toEqual([
      { server: 'web-1', state: 'staging', operationId: 'op-1', switched: false, fromDbVersion: null, verifyingSince: null, updatedAt: T0 },
      { server: 'web-2', state: 'pending', operationId: null, switched: false, fromDbVersion: null, verifyingSince: null, updatedAt: T0 },
      { server: 'web-3', state: 'verifying', operationId: null, switched: true, fromDbVersion: 57155, verifyingSince: T1, updatedAt: T1 },
    ]);
  });

  it('two transitions of one target asked for together are both written, in order, each with its event', async () => {
    const repo = repository();
    await addServer('web-1');
    const { id } = await repo.insertCampaign(plan(['web-1']), 'operator:alice', T0);
    const target = { campaignId: id, server: 'web-1', wave: 0 };
    const events = await repo.withCampaignLocked(id, (_lock, write) =>
      Promise.all([
        write.stepTargetState(target, 'staging', { operationId: 'op-1' }, 'test', T0),
        write.stepTargetState(target, 'failed', { failedAt: T0, reason: 'no' }, 'test', T0),
      ]),
    );
    expect(events.map((e) => e?.state)).toEqual(['staging', 'failed']);
    expect((await repo.loadCampaign(id))?.targets[0]).toMatchObject({ state: 'failed', operationId: 'op-1', failedAt: T0, reason: 'no' });
  });

  it('leases: one live holder; renewing keeps the token, taking again moves it; given up, the next holder takes it', async () => {
    const repo = repository();
    const { id } = await repo.insertCampaign(plan(['web-1']), 'operator:alice', T0);
    expect(await repo.acquireLease(id, 'ctl-a', 60_000, 'start')).toBe(1);
    expect(await repo.acquireLease(id, 'ctl-b', 60_000, 'start')).toBeUndefined();
    expect(await repo.acquireLease(id, 'ctl-a', 60_000, 'renew')).toBe(1);
    expect(await repo.acquireLease(id, 'ctl-a', 60_000, 'start')).toBe(2);
    expect(await repo.withCampaignLocked(id, async (lock) => lock)).toEqual({ state: 'running', leaseHolder: 'ctl-a', leaseToken: 2 });
    await repo.releaseLease(id, 'ctl-a', 1);
    expect(await repo.acquireLease(id, 'ctl-b', 60_000, 'start')).toBeUndefined();
    await repo.releaseLease(id, 'ctl-a', 2);
    expect(await repo.acquireLease(id, 'ctl-b', 60_000, 'start')).toBe(3);
  });

  it("leases: renewing never takes one, free or expired; starting takes another holder's only once it expired", async () => {
    const repo = repository();
    const { id } = await repo.insertCampaign(plan(['web-1']), 'operator:alice', T0);
    expect(await repo.acquireLease(id, 'ctl-a', 60_000, 'renew')).toBeUndefined();
    // Held by ctl-a, expired at once.
    expect(await repo.acquireLease(id, 'ctl-a', -1_000, 'start')).toBe(1);
    expect(await repo.acquireLease(id, 'ctl-b', 60_000, 'renew')).toBeUndefined();
    expect(await repo.acquireLease(id, 'ctl-b', 60_000, 'start')).toBe(2);
    expect(await repo.acquireLease(id, 'ctl-a', 60_000, 'renew')).toBeUndefined();
    expect(await repo.acquireLease(id, 'ctl-a', 60_000, 'start')).toBeUndefined();
    expect(await repo.withCampaignLocked(id, async (lock) => lock)).toEqual({ state: 'running', leaseHolder: 'ctl-b', leaseToken: 2 });
  });
}

describe('CampaignRepository on Postgres', () => {
  const pg = useTestPostgres();
  contract(
    () => createCampaignRepository(pg.db),
    (name) => addServerRow(pg.db, name),
  );

  it('reads a plan recorded before canary sites and external checks as --canary-site auto and no checks', async () => {
    const repo = createCampaignRepository(pg.db);
    const { id } = await repo.insertCampaign(plan(['web-1']), 'operator:alice', T0);
    await pg.db.execute(
      sql`update campaigns set plan = plan #- '{request,checks}' #- '{request,canarySite}' #- '{canarySiteServers}' where id = ${id}`,
    );
    const [stored] = await pg.db.select({ plan: campaigns.plan }).from(campaigns);
    expect(Object.keys(stored?.plan as object)).not.toContain('canarySiteServers');
    expect((await repo.loadCampaign(id))?.campaign.plan).toEqual(plan(['web-1']));
  });
});

describe('CampaignRepository on PGlite', () => {
  const pglite = useTestPglite();
  contract(
    () => createCampaignRepository(pglite.db),
    (name) => addServerRow(pglite.db, name),
  );
});

describe('CampaignRepository in memory', () => {
  let memory: MemoryRepository | undefined;
  contract(
    () => (memory = createMemoryRepository(() => T0.getTime())),
    async (name) => memory?.addServer({ name, address: `${name}:7443`, canary: false, enrolled: true, status: 'online', agentVersion: '' }),
  );
});

async function addServerRow(db: Database, name: string): Promise<void> {
  await insertServer(db, { name, address: `${name}:7443` });
}
