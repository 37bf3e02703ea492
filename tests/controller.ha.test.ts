import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCampaignRepository, LEASE_TAKEOVER_AUDIT_KIND } from '../controller/src/campaign-store/index.js';
import { getCampaign, parseCampaignRequest, startCampaign, type CampaignView } from '../controller/src/campaigns/index.js';
import { systemClock } from '../controller/src/context/index.js';
import { listAuditEvents } from '../controller/src/db/index.js';
import { requestText } from '../controller/test/campaigns.fixtures.js';
import { serveController, type ServedController } from './support/controller-serve.js';
import { findFreePort } from './support/net.js';
import { allOn, campaignSummary, startRolloutFleet, type RolloutFleet } from './support/rollout-fleet.js';

/**
 * Issue 14, HA controllers: three `wofleet controller serve` processes on one Postgres
 * drive a campaign: the fleet's own and a second on the same data dir (a copied data dir:
 * the same certificate), one of which takes the lease, then one from `wofleet ca
 * issue-controller` (no CA key). While all live, the lease is never taken over (one
 * holder, token 1 throughout). The holder is then
 * SIGKILLed in the middle of a wave: once its lease expires another takes it over
 * (one audited takeover), finishes the campaign, and each server was switched exactly
 * once, counted in the agents' own records (`state.json` updates, operation journal).
 */
const NAMES = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Controller {
  process: ServedController;
  /** Its lease holder id, from its 'controller serving' log line. */
  holder: string | undefined;
}

describe('HA: controllers sharing one Postgres', () => {
  let rf: RolloutFleet;
  let secondDir = '';
  const running: ServedController[] = [];
  const ctx = () => ({ repository: createCampaignRepository(rf.database.db), clock: systemClock });

  async function serve(dataDir: string): Promise<Controller> {
    const process = serveController({
      dataDir,
      listen: `127.0.0.1:${await findFreePort()}`,
      natsUrl: rf.fleet.nats.url,
      natsSeed: rf.fleet.controllerNatsSeed,
      databaseUrl: rf.scratch.url,
    });
    running.push(process);
    let exited = false;
    void process.exited.then(() => (exited = true));
    for (const deadline = Date.now() + 60_000; !process.output().includes('controller serving'); await sleep(100)) {
      if (exited || Date.now() > deadline) throw new Error(`controller not serving:\n${process.output().slice(-3000)}`);
    }
    return { process, holder: /"holder":"([^"]+)"/.exec(process.output())?.[1] };
  }

  const lease = (id: string) => ctx().repository.withCampaignLocked(id, async (lock) => lock);
  const takeovers = async (id: string) =>
    (await listAuditEvents(rf.database.db, { limit: 10_000 }))
      .filter((row) => row.kind === LEASE_TAKEOVER_AUDIT_KIND && row.subject === id)
      .map((row) => row.data);
  beforeAll(async () => {
    rf = await startRolloutFleet(NAMES);
    expect(await rf.versions()).toEqual(allOn(NAMES, '6.4.5'));
    secondDir = path.join(rf.fleet.root, 'ctl-2');
    await rf.fleet.wofleetJson([
      'ca',
      'issue-controller',
      '--data-dir',
      rf.fleet.dataDir,
      '--name',
      'ctl-2',
      '--ip',
      '127.0.0.1',
      '--out',
      secondDir,
    ]);
  }, 600_000);

  afterAll(async () => {
    await Promise.all(running.map((c) => c.stop()));
    await rf?.destroy();
  }, 120_000);

  it('no lease takeover while all live; the holder SIGKILLed mid-wave, another finishes the campaign, each server switched once', async () => {
    // The two on one data dir first, so one of them holds the lease (the pair that fought on one holder id).
    const controllers = [await serve(rf.fleet.dataDir), await serve(rf.fleet.dataDir)];
    const startedAt = new Date();
    const request = parseCampaignRequest(requestText({ waves: '1,1,1,1,1', maxParallel: 2, minHealthy: '3s', healthyDeadline: '2m' }));
    const { id } = await startCampaign(ctx(), request, 'operator:test');
    const tokens = new Set<number>();
    const sampleToken = async () => {
      const token = (await lease(id))?.leaseToken ?? 0;
      if (token > 0) tokens.add(token); // 0: not leased yet
    };
    for (const deadline = Date.now() + 30_000; tokens.size === 0; await sleep(100)) {
      if (Date.now() > deadline) throw new Error('no controller took the lease');
      await sampleToken();
    }
    controllers.push(await serve(secondDir));

    // Mid-wave: wave 2 (the third) has a server switched and in its verify hold.
    let view: CampaignView = await getCampaign(ctx(), id);
    for (const deadline = Date.now() + 180_000; ; await sleep(200)) {
      await sampleToken();
      view = await getCampaign(ctx(), id);
      if (view.targets.some((t) => t.wave === 2 && t.state === 'verifying')) break;
      if (Date.now() > deadline || view.state !== 'running') throw new Error(`never reached wave 2: ${campaignSummary(view)}`);
    }
    const summary = campaignSummary(view);
    expect([...tokens], summary).toEqual([1]);
    expect(await takeovers(id), summary).toEqual([]);
    expect(view.targets.filter((t) => t.wave < 2).map((t) => t.state)).toEqual(['succeeded', 'succeeded']);

    const holder = (await lease(id))?.leaseHolder;
    const victim = controllers.find((c) => c.holder === holder);
    expect(victim, `lease held by ${holder}; controllers ${controllers.map((c) => c.holder).join(', ')}`).toBeDefined();
    await victim?.process.stop('SIGKILL');
    expect((await victim?.process.exited)?.signal).toBe('SIGKILL');

    for (const deadline = Date.now() + 180_000; ; await sleep(200)) {
      view = await getCampaign(ctx(), id);
      if (view.state !== 'running') break;
      if (Date.now() > deadline) throw new Error(`campaign not finished: ${campaignSummary(view)}`);
    }
    expect(view.state, campaignSummary(view)).toBe('succeeded');
    expect(view.targets.map((t) => t.state)).toEqual(NAMES.map(() => 'succeeded'));
    const survivors = controllers.filter((c) => c !== victim).map((c) => c.holder);
    const [takeover, ...more] = await takeovers(id);
    expect(more).toEqual([]);
    expect(takeover).toMatchObject({ campaignId: id, from: holder, token: 2 });
    expect(survivors).toContain(takeover?.to);
    expect(await rf.versions()).toEqual(allOn(NAMES, '6.5.5'));
    for (const server of NAMES) {
      expect(
        rf.updatesSince(server, startedAt).map((u) => u.outcome),
        server,
      ).toEqual(['succeeded']);
      expect(rf.journaled(server, id)).toEqual(['activate', 'stage']);
    }
  }, 400_000);
});
