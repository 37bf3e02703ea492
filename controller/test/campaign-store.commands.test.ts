import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { NotFoundError, StateError, UsageError } from '@wofleet/shared';
import {
  actOnCampaign,
  getCampaign,
  listCampaigns,
  parseCampaignRequest,
  planCampaign,
  startCampaign,
  type CampaignAction,
  type CampaignState,
} from '../src/campaigns/index.js';
import { createCampaignRepository, writeCampaignState } from '../src/campaign-store/index.js';
import { listAuditEvents } from '../src/db/index.js';
import { campaigns } from '../src/db/schema/campaigns.js';
import { requestText, seedFleet } from './campaigns.fixtures.js';
import { T0, useTestPostgres } from './db.fixtures.js';
import { systemClock } from '../src/context/index.js';

/** Planning, the campaign commands and the database's own guarantees, on real Postgres (campaign-store/). */
const pg = useTestPostgres();
const ctx = () => ({ repository: createCampaignRepository(pg.db), clock: { ...systemClock, now: () => T0 } });
const FLEET = [{ name: 'web-1' }, { name: 'web-2', canary: true }, { name: 'web-3' }, { name: 'web-4', labels: { dc: 'ams' } }];
const request = (overrides: Parameters<typeof requestText>[0] = {}) =>
  parseCampaignRequest(requestText({ waves: '1,1,50%', ...overrides }));

async function setState(id: string, state: CampaignState): Promise<void> {
  await pg.db.transaction(async (tx) => void (await writeCampaignState(tx, id, { state, reason: 'test' }, 'test', T0)));
}

describe('planCampaign', () => {
  it('puts the flagged canary first, then the rest by name, in the waves asked for', async () => {
    await seedFleet(pg.db, FLEET);
    const plan = await planCampaign(ctx(), request());
    expect(plan.canary).toBe('web-2');
    expect(plan.waves).toEqual([
      { index: 0, servers: ['web-2'] },
      { index: 1, servers: ['web-1'] },
      { index: 2, servers: ['web-3', 'web-4'] },
    ]);
    expect(plan.release).toEqual({
      version: '6.5.5',
      url: 'file:///fixtures/wordpress-6.5.5.tar.gz',
      digest: { algorithm: 'sha256', hex: 'a'.repeat(64) },
    });
  });

  it('selects by name and by label', async () => {
    await seedFleet(pg.db, FLEET);
    expect((await planCampaign(ctx(), request({ servers: ['web-3', 'web-1'], waves: '1' }))).waves.map((w) => w.servers)).toEqual([
      ['web-1'],
      ['web-3'],
    ]);
    expect((await planCampaign(ctx(), request({ labels: { dc: 'ams' }, waves: '1' }))).waves).toEqual([{ index: 0, servers: ['web-4'] }]);
  });

  it.each([
    [{ release: '6.6.0' }, UsageError, '--release 6.6.0 is not in the release catalog'],
    [{ servers: ['web-9'] }, UsageError, "--servers: unknown server 'web-9'"],
    [{ servers: ['web-1'], labels: { dc: 'ams' } }, UsageError, "server 'web-1' does not carry the labels"],
    [{ labels: { dc: 'nowhere' } }, UsageError, 'no targets: no enrolled server carries the given labels'],
    [{ canary: 'web-3', servers: ['web-1', 'web-2'] }, UsageError, '--canary web-3 is not among the campaign'],
    [{ waves: '1,1,1,1,1,1' }, UsageError, 'wave 6 (1) would be empty'],
    [{ canary: 'web-5' }, StateError, "canary server 'web-5' is offline"],
  ])('refuses %j', async (overrides, kind, message) => {
    await seedFleet(pg.db, [...FLEET, { name: 'web-5', online: false }]);
    await pg.db.execute(sql`update servers set status = 'offline' where name = 'web-5'`);
    const refusal = planCampaign(ctx(), request(overrides));
    await expect(refusal).rejects.toThrow(kind);
    await expect(refusal).rejects.toThrow(message);
  });

  it('refuses a pending canary (enrolled but never heard from)', async () => {
    await seedFleet(pg.db, [{ name: 'web-1', online: false }]);
    await expect(planCampaign(ctx(), request({ waves: '1' }))).rejects.toThrow("canary server 'web-1' is pending");
  });
});

describe('campaign commands', () => {
  it('starts a campaign: running, every target pending, every wave pending, audited', async () => {
    await seedFleet(pg.db, FLEET);
    const view = await startCampaign(ctx(), request(), 'operator:alice');
    expect(view).toMatchObject({ state: 'running', createdBy: 'operator:alice', finishedAt: null });
    expect(view.waves.map((w) => w.state)).toEqual(['pending', 'pending', 'pending']);
    expect(view.targets.map((t) => [t.server, t.wave, t.state])).toEqual([
      ['web-2', 0, 'pending'],
      ['web-1', 1, 'pending'],
      ['web-3', 2, 'pending'],
      ['web-4', 2, 'pending'],
    ]);
    const [audit] = await listAuditEvents(pg.db, { limit: 1 });
    expect(audit).toMatchObject({
      actor: 'operator:alice',
      kind: 'campaign.state',
      subject: view.id,
      data: { state: 'running', reason: 'started: 6.5.5' },
    });
    expect(await getCampaign(ctx(), view.id)).toEqual(view);
  });

  it('refuses a second campaign over a server already in an active one, and allows it once that one ended', async () => {
    await seedFleet(pg.db, FLEET);
    const first = await startCampaign(ctx(), request({ servers: ['web-1', 'web-2'], waves: '1' }), 'operator:alice');
    await expect(startCampaign(ctx(), request({ servers: ['web-2', 'web-3'], waves: '1' }), 'operator:bob')).rejects.toThrow(
      `server 'web-2' is already in active campaign ${first.id}`,
    );
    await setState(first.id, 'succeeded');
    const second = await startCampaign(ctx(), request({ servers: ['web-2', 'web-3'], waves: '1' }), 'operator:bob');
    expect(second.state).toBe('running');
    expect((await listCampaigns(ctx(), { active: true })).map((c) => c.id)).toEqual([second.id]);
    expect((await listCampaigns(ctx(), { active: false })).map((c) => c.id)).toEqual([first.id]);
  });

  it('the database itself refuses a server in two active campaigns (partial unique index)', async () => {
    await seedFleet(pg.db, FLEET);
    const first = await startCampaign(ctx(), request({ servers: ['web-1'], waves: '1' }), 'operator:alice');
    const [second] = await pg.db
      .insert(campaigns)
      .values({ state: 'running', releaseVersion: '6.5.5', plan: first.plan, createdBy: 'x', createdAt: T0, updatedAt: T0 })
      .returning({ id: campaigns.id });
    const insertTarget = (campaignId: string) =>
      pg.db.execute(
        sql`insert into campaign_targets (campaign_id, server, wave, state, active, updated_at) values (${campaignId}, 'web-1', 0, 'pending', true, now())`,
      );
    const secondId = second!.id;
    await expect(insertTarget(secondId)).rejects.toThrow();
    await setState(first.id, 'failed');
    await insertTarget(secondId);
    // Rolling the first back would make it hold web-1 again: refused.
    await expect(actOnCampaign(ctx(), first.id, 'rollback', 'operator:alice')).rejects.toThrow(
      `a server of campaign ${first.id} is now in another active campaign`,
    );
  });

  it('refuses states and finish times that do not go together (CHECK constraints)', async () => {
    await seedFleet(pg.db, FLEET);
    const view = await startCampaign(ctx(), request({ servers: ['web-1'], waves: '1' }), 'operator:alice');
    await expect(pg.db.execute(sql`update campaigns set state = 'halted' where id = ${view.id}`)).rejects.toThrow();
    await expect(pg.db.execute(sql`update campaigns set state = 'succeeded' where id = ${view.id}`)).rejects.toThrow();
    await expect(pg.db.execute(sql`update campaign_targets set state = 'done' where campaign_id = ${view.id}`)).rejects.toThrow();
    await expect(pg.db.execute(sql`update campaign_waves set state = 'done' where campaign_id = ${view.id}`)).rejects.toThrow();
  });

  it.each<[CampaignState, CampaignAction, CampaignState | string]>([
    ['running', 'pause', 'paused'],
    ['paused', 'resume', 'running'],
    ['awaiting-promotion', 'promote', 'running'],
    ['running', 'abort', 'aborting'],
    ['paused', 'abort', 'aborting'],
    ['awaiting-promotion', 'abort', 'aborting'],
    ['succeeded', 'rollback', 'rolling-back'],
    ['failed', 'rollback', 'rolling-back'],
    ['aborted', 'rollback', 'rolling-back'],
    ['running', 'promote', 'cannot promote campaign ID: it is running (promote needs awaiting-promotion)'],
    ['running', 'resume', 'cannot resume campaign ID: it is running (resume needs paused)'],
    ['paused', 'pause', 'cannot pause campaign ID: it is paused'],
    ['running', 'rollback', 'cannot rollback campaign ID: it is running (rollback needs succeeded or failed or aborted)'],
    ['succeeded', 'abort', 'cannot abort campaign ID: it is succeeded'],
    ['rolled-back', 'rollback', 'cannot rollback campaign ID: it is rolled-back'],
  ])('from %s, %s -> %s', async (from, action, outcome) => {
    await seedFleet(pg.db, FLEET);
    const { id } = await startCampaign(ctx(), request({ servers: ['web-1'], waves: '1' }), 'operator:alice');
    if (from !== 'running') await setState(id, from);
    if (outcome.startsWith('cannot')) {
      const refusal = actOnCampaign(ctx(), id, action, 'operator:bob');
      await expect(refusal).rejects.toThrow(StateError);
      await expect(refusal).rejects.toThrow(outcome.replace('ID', id));
      return;
    }
    const view = await actOnCampaign(ctx(), id, action, 'operator:bob');
    expect(view.state).toBe(outcome);
    expect(view.reason).toBe(`${action} requested by operator:bob`);
    const [audit] = await listAuditEvents(pg.db, { limit: 1 });
    expect(audit).toMatchObject({ actor: 'operator:bob', kind: 'campaign.state', data: { state: outcome } });
  });

  it('answers NotFoundError for an unknown campaign', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    await expect(getCampaign(ctx(), unknown)).rejects.toThrow(NotFoundError);
    await expect(actOnCampaign(ctx(), unknown, 'pause', 'operator:bob')).rejects.toThrow(`unknown campaign '${unknown}'`);
  });
});
