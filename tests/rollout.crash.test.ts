import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actOnCampaign,
  getCampaign,
  parseCampaignRequest,
  startCampaign,
  type CampaignState,
  type CampaignView,
} from '../controller/src/campaigns/index.js';
import { KILL_POINT, type KillPoint } from '../controller/src/campaigns/killpoints.js';
import { requestText } from '../controller/test/campaigns.fixtures.js';
import { serveController } from './support/controller-serve.js';
import { findFreePort } from './support/net.js';
import { allOn, campaignSummary, startRolloutFleet, type RolloutFleet } from './support/rollout-fleet.js';
import { systemClock } from '../controller/src/context/index.js';
import { createCampaignRepository } from '../controller/src/campaign-store/index.js';

/**
 * Issue 6: the controller killed with SIGKILL at every state of a server's lifecycle.
 * The built `wofleet controller serve` runs the campaign runner; with
 * WOFLEET_CONTROLLER_KILL_AT=<point> it kills itself there (campaigns/killpoints.ts).
 * One campaign is driven through all the campaign-side points in turn (each restart
 * resumes from Postgres and goes on to the next point), then its rollback through
 * the rollback-side points; then a last controller without a kill point finishes it.
 * Each server must be switched exactly once and rolled back exactly once: counted
 * in the agents' own records (the update records in `<stateDir>/state.json`, the
 * operation journal in `<stateDir>/operations`). Each restarted controller is a new lease
 * holder, so it waits for its killed predecessor's lease to expire: a 4 s campaign lease
 * (WOFLEET_CAMPAIGN_LEASE) instead of the default 15 s, which 11 kill points would wait out.
 */
const NAMES = ['web-1', 'web-2', 'web-3', 'web-4'];
const CAMPAIGN_POINTS: KillPoint[] = [
  KILL_POINT.afterStagingRecorded,
  KILL_POINT.afterStagedRecorded,
  KILL_POINT.afterWaveStarted,
  KILL_POINT.beforeActivate,
  KILL_POINT.afterActivateAccepted,
  KILL_POINT.afterVerifyingRecorded,
  KILL_POINT.duringVerifying,
  KILL_POINT.afterSucceededRecorded,
  KILL_POINT.afterWaveDone,
];
const ROLLBACK_POINTS: KillPoint[] = [KILL_POINT.beforeRollback, KILL_POINT.afterRollbackAccepted];
const CAMPAIGN_LEASE = '4s';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('controller killed with SIGKILL at every campaign state, restarted: campaigns complete, every server switched once', () => {
  let rf: RolloutFleet;
  let listen = '';
  const ctx = () => ({ repository: createCampaignRepository(rf.database.db), clock: systemClock });

  /** `wofleet controller serve` on the fleet's data dir and the test's Postgres; resolves when it exits. */
  const serve = (killAt: KillPoint | undefined) =>
    serveController({
      dataDir: rf.fleet.dataDir,
      listen,
      natsUrl: rf.fleet.nats.url,
      natsSeed: rf.fleet.controllerNatsSeed,
      databaseUrl: rf.scratch.url,
      env: { WOFLEET_CAMPAIGN_LEASE: CAMPAIGN_LEASE, ...(killAt ? { WOFLEET_CONTROLLER_KILL_AT: killAt } : {}) },
    });

  /** Runs a controller that must kill itself at `point`; returns the campaign as it was left. */
  async function crashAt(id: string, point: KillPoint): Promise<CampaignView> {
    const controller = serve(point);
    const timeout = sleep(120_000).then(() => 'timeout' as const);
    const outcome = await Promise.race([controller.exited, timeout]);
    if (outcome === 'timeout') {
      await controller.stop();
      throw new Error(
        `the controller never reached ${point}: ${campaignSummary(await getCampaign(ctx(), id))}\n${controller.output().slice(-3000)}`,
      );
    }
    expect(outcome.signal, `${point}: ${controller.output().slice(-2000)}`).toBe('SIGKILL');
    return getCampaign(ctx(), id);
  }

  async function completeWith(id: string, state: CampaignState): Promise<CampaignView> {
    const controller = serve(undefined);
    try {
      for (const deadline = Date.now() + 180_000; ; await sleep(200)) {
        const view = await getCampaign(ctx(), id);
        if (view.state === state) return view;
        if (Date.now() > deadline) throw new Error(`campaign not ${state}: ${campaignSummary(view)}\n${controller.output().slice(-3000)}`);
      }
    } finally {
      await controller.stop();
    }
  }

  const journaled = (server: string, id: string) => rf.journaled(server, id);
  const all = (version: string) => allOn(NAMES, version);

  beforeAll(async () => {
    rf = await startRolloutFleet(NAMES);
    listen = `127.0.0.1:${await findFreePort()}`;
    expect(await rf.versions()).toEqual(all('6.4.5'));
  }, 300_000);

  afterAll(async () => {
    await rf?.destroy();
  }, 120_000);

  let campaignId = '';
  let startedAt = new Date();

  it(`survives a kill at each of ${CAMPAIGN_POINTS.length} campaign points and completes, each server switched exactly once`, async () => {
    startedAt = new Date();
    const request = parseCampaignRequest(requestText({ waves: '1,1,50%', maxParallel: 2, minHealthy: '2s', healthyDeadline: '2m' }));
    campaignId = (await startCampaign(ctx(), request, 'operator:test')).id;
    const trail: string[] = [];
    for (const point of CAMPAIGN_POINTS) trail.push(`${point}: ${campaignSummary(await crashAt(campaignId, point))}`);
    const view = await completeWith(campaignId, 'succeeded');
    expect(
      view.targets.map((t) => t.state),
      trail.join('\n'),
    ).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(await rf.versions()).toEqual(all('6.5.5'));
    for (const server of NAMES) {
      const updates = rf.updatesSince(server, startedAt);
      expect(
        updates.map((u) => u.outcome),
        `${server}\n${trail.join('\n')}`,
      ).toEqual(['succeeded']);
      expect(journaled(server, campaignId)).toEqual(['activate', 'stage']);
      expect(rf.journalState(server, `c${campaignId}-${server}-activate`)).toBe('SUCCEEDED');
    }
  });

  it(`rolls the campaign back through a kill at each of ${ROLLBACK_POINTS.length} rollback points, each server rolled back once`, async () => {
    expect(campaignId).not.toBe('');
    await actOnCampaign(ctx(), campaignId, 'rollback', 'operator:test', { restoreDb: true });
    const trail: string[] = [];
    for (const point of ROLLBACK_POINTS) trail.push(`${point}: ${campaignSummary(await crashAt(campaignId, point))}`);
    const view = await completeWith(campaignId, 'rolled-back');
    expect(
      view.targets.map((t) => t.state),
      trail.join('\n'),
    ).toEqual(['rolled-back', 'rolled-back', 'rolled-back', 'rolled-back']);
    expect(await rf.versions()).toEqual(all('6.4.5'));
    for (const server of NAMES) {
      expect(
        rf.updatesSince(server, startedAt).map((u) => u.outcome),
        server,
      ).toEqual(['rolled-back']);
      expect(journaled(server, campaignId)).toEqual(['activate', 'revert', 'stage']);
      expect(rf.journalState(server, `c${campaignId}-${server}-revert`)).toBe('SUCCEEDED');
    }
  });
});
