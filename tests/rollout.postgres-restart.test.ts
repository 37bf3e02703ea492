import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { connectAgent, type AgentTarget } from '../controller/src/agents/client.js';
import { createCampaignRepository } from '../controller/src/campaign-store/index.js';
import {
  getCampaign,
  parseCampaignRequest,
  startCampaign,
  startCampaignRunner,
  type CampaignEvent,
} from '../controller/src/campaigns/index.js';
import { systemClock } from '../controller/src/context/index.js';
import { pinnedFingerprints } from '../controller/src/db/index.js';
import { createGateCheckRunner } from '../controller/src/gate-checks/index.js';
import { requestText } from '../controller/test/campaigns.fixtures.js';
import { startPostgresServer, type PostgresServer } from './support/postgres-server.js';
import { allOn, campaignSummary, startRolloutFleet, type RolloutFleet } from './support/rollout-fleet.js';

/**
 * Issue 14, item 6: a Postgres restart in the middle of a campaign fails no server.
 * Two real agents (web-1 the canary, web-2) on the real stack; the fleet's database is
 * a private Postgres (initdb, its own port), and the campaign runner of this process
 * runs on it. While the canary holds its health gate (20s of health
 * within 30s of its switch), 10s into it the private Postgres is stopped (`pg_ctl stop -m fast`:
 * every session ended) and started again 2s later. The campaign must succeed with
 * every server switched once: the outage says nothing about the servers' health.
 */
const NAMES = ['web-1', 'web-2'];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('a campaign across a Postgres restart', () => {
  let rf: RolloutFleet;
  let pg: PostgresServer;

  beforeAll(async () => {
    pg = await startPostgresServer();
    rf = await startRolloutFleet(NAMES, { databaseUrl: pg.url });
  }, 300_000);

  afterAll(async () => {
    await rf?.destroy();
    await pg?.dispose();
  }, 120_000);

  it('the canary stays in its health hold while Postgres restarts; the campaign succeeds, each server switched once', async () => {
    const { database } = rf;
    const repository = createCampaignRepository(database.db);
    const events: CampaignEvent[] = [];
    const runner = startCampaignRunner({
      repository,
      connectAgent: (target: AgentTarget) => connectAgent(target, rf.tls, (server) => pinnedFingerprints(database.db, server)),
      gateChecks: createGateCheckRunner(),
      log: silentLogger(),
      clock: systemClock,
      publish: (event) => void events.push(event),
      holderId: 'ctl-a',
      pollMs: 200,
    });
    const ctx = { repository, clock: systemClock };
    try {
      const request = parseCampaignRequest(
        requestText({ waves: '1,1', maxParallel: 2, minHealthy: '20s', healthyDeadline: '30s', progressDeadline: '10m' }),
      );
      const { id } = await startCampaign(ctx, request, 'operator:test');
      for (let view = await getCampaign(ctx, id); ; view = await getCampaign(ctx, id)) {
        if (view.targets.find((t) => t.server === 'web-1')?.state === 'verifying') break;
        if (view.state !== 'running') throw new Error(`the canary never verified: ${campaignSummary(view)}`);
        await sleep(100);
      }
      await sleep(10_000);
      const holding = await getCampaign(ctx, id);
      expect(holding.targets.find((t) => t.server === 'web-1')?.state, campaignSummary(holding)).toBe('verifying');
      await pg.stop();
      expect(await pg.running(), 'Postgres down').toBe(false);
      await sleep(2_000);
      await pg.start();

      let view = await getCampaign(ctx, id);
      for (const deadline = Date.now() + 180_000; view.state === 'running'; view = await getCampaign(ctx, id)) {
        if (Date.now() > deadline) break;
        await sleep(200);
      }
      expect(view.state, campaignSummary(view)).toBe('succeeded');
      expect(view.targets.map((t) => t.state)).toEqual(['succeeded', 'succeeded']);
      expect(events.filter((e) => e.scope === 'target').map((e) => e.state)).not.toContain('failed');
      expect(await rf.versions()).toEqual(allOn(NAMES, '6.5.5'));
      for (const server of NAMES) expect(rf.journaled(server, id)).toEqual(['activate', 'stage']);
    } finally {
      await runner.stop();
    }
  }, 300_000);
});
