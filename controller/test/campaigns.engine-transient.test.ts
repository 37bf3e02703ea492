import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignRepository, CampaignRunner } from '../src/campaigns/index.js';
import type { CampaignWriter } from '../src/campaigns/repository.js';
import { allOn, engineWorld, NAMES, targetState, type EngineWorld } from './campaigns.engine-fixtures.js';

/**
 * The engine while its database fails for a moment, in fake time: the repository
 * throws what postgres.js throws when Postgres refuses connections (a restart), for
 * a while or for one write. Such a failure says nothing about the servers: no target
 * may fail for it, no healthy server be rolled back.
 */
describe('campaign engine while the database fails for a moment', () => {
  let w: EngineWorld;
  let runners: CampaignRunner[];
  let refused: unknown;

  beforeAll(async () => {
    // The error itself, made for real: a query through drizzle to a port nothing listens on.
    const closed = postgres('postgres://postgres@127.0.0.1:1/postgres', { max: 1, connect_timeout: 5 });
    refused = await drizzle(closed)
      .execute(sql`select 1`)
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    await closed.end({ timeout: 0 });
    expect((refused as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
  });

  beforeEach(() => {
    w = engineWorld();
    runners = [];
  });
  afterEach(async () => {
    for (const run of runners) await w.stop(run);
  });

  /**
   * The world's repository as a controller reaches it through a failing database:
   * every call throws while `downUntil` (fake time) is ahead, and the write of a
   * target state in `failWrites` fails once per server, its transaction rolled back
   * (the connection lost under it).
   */
  function flakyDatabase(failWrites: ReadonlySet<string> = new Set()) {
    const outage = { downUntil: 0, calls: 0, failedWrites: [] as string[] };
    const down = () => w.clock.now().getTime() < outage.downUntil;
    const failing = (target: { server: string }, state: string) =>
      failWrites.has(state) && !outage.failedWrites.includes(`${target.server}:${state}`);
    const inner = w.repository;
    const failOnce = (target: { server: string }, state: string) => {
      if (!failing(target, state)) return;
      outage.failedWrites.push(`${target.server}:${state}`);
      throw refused;
    };
    const writerThrough = (writer: CampaignWriter): CampaignWriter => ({
      campaignState: (...args) => writer.campaignState(...args),
      waveState: (...args) => writer.waveState(...args),
      async targetState(target, state, patch, actor, now) {
        failOnce(target, state);
        return writer.targetState(target, state, patch, actor, now);
      },
      async stepTargetState(target, state, patch, actor, now) {
        failOnce(target, state);
        return writer.stepTargetState(target, state, patch, actor, now);
      },
    });
    const guard =
      <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        if (down()) {
          outage.calls++;
          throw refused;
        }
        return call(...args);
      };
    const repository: CampaignRepository = {
      findRelease: guard((version) => inner.findRelease(version)),
      listServers: guard((labels) => inner.listServers(labels)),
      serversDigest: guard(() => inner.serversDigest()),
      listSites: guard((filter) => inner.listSites(filter)),
      insertCampaign: guard((plan, createdBy, now) => inner.insertCampaign(plan, createdBy, now)),
      loadCampaign: guard((id) => inner.loadCampaign(id)),
      readCampaignState: guard((id) => inner.readCampaignState(id)),
      readCampaignHead: guard((id) => inner.readCampaignHead(id)),
      listCampaignIds: guard((filter) => inner.listCampaignIds(filter)),
      findActiveCampaignsOf: guard((servers) => inner.findActiveCampaignsOf(servers)),
      withCampaignLocked: (id, work) => guard(() => inner.withCampaignLocked(id, (lock, writer) => work(lock, writerThrough(writer))))(),
      acquireLease: guard((id, holder, leaseMs, mode) => inner.acquireLease(id, holder, leaseMs, mode)),
      releaseLease: guard((id, holder, token) => inner.releaseLease(id, holder, token)),
    };
    return { repository, outage, goDown: (ms: number) => (outage.downUntil = w.clock.now().getTime() + ms) };
  }

  const targetEvents = (id: string) => w.events.filter((e) => e.campaignId === id && e.scope === 'target').map((e) => e.state);

  it('a write lost right after each successful stage is written again: every server staged, none failed', async () => {
    const db = flakyDatabase(new Set(['staged']));
    runners.push(w.runner('ctl-a', undefined, db.repository));
    const id = await w.start();
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded' || v.state === 'failed');
    expect(db.outage.failedWrites.sort()).toEqual(NAMES.map((n) => `${n}:staged`));
    expect(view.state).toBe('succeeded');
    expect(view.targets.map((t) => t.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(targetEvents(id)).not.toContain('failed');
    expect(w.agents.versions()).toEqual(allOn('6.5.5'));
    for (const server of NAMES) expect(w.agents.journaled(server, id)).toEqual(['activate', 'stage']);
  });

  it('a database down for 2s during the canary health hold neither fails it nor restarts its hold', async () => {
    const db = flakyDatabase();
    runners.push(w.runner('ctl-a', undefined, db.repository));
    // The hold needs 10s of health within 13s of the switch: restarted after the outage, it would miss the deadline.
    const id = await w.start({ minHealthy: '10s', healthyDeadline: '13s' });
    await w.waitFor(id, 'the canary verifying', (v) => targetState(v, 'web-1') === 'verifying');
    await w.clock.advance(7_000);
    expect(targetState(await w.view(id), 'web-1')).toBe('verifying');
    db.goDown(2_000);
    const view = await w.waitFor(id, 'campaign ended', (v) => v.state === 'succeeded' || v.state === 'failed');
    expect(db.outage.calls).toBeGreaterThan(0);
    expect(view.targets.map((t) => `${t.server}=${t.state}${t.reason ? ` [${t.reason}]` : ''}`)).toEqual(
      NAMES.map((n) => `${n}=succeeded`),
    );
    expect(targetEvents(id)).not.toContain('failed');
    for (const server of NAMES) expect(w.agents.activations(server)).toBe(1);
  });
});
