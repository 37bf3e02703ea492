import { describe, expect, it } from 'vitest';
import { silentLogger } from '@wofleet/shared';
import { parseCampaignRequest, type CampaignPlan, type TargetState } from '../src/campaigns/index.js';
import { operationIdFor } from '../src/campaigns/policy-target.js';
import type { TargetPatch } from '../src/campaigns/repository.js';
import { stageTarget } from '../src/campaigns/step-stage.js';
import type { TargetStepContext } from '../src/campaigns/target-steps.js';
import { requestText } from './campaigns.fixtures.js';
import { newTarget } from './campaigns.memory-repository.js';
import { createSimAgents } from './campaigns.sim-agents.js';
import { T0 } from './db.fixtures.js';
import { createFakeClock } from './fake-clock.js';

/**
 * The stage step on its own: one simulated agent in fake time, the target's writes
 * recorded by a writeTarget whose `staging` commit the test holds back, as a busy
 * group commit does.
 */
const CAMPAIGN = 'c0ffee';

function stageWorld(answerStaging: () => Promise<boolean>) {
  const clock = createFakeClock(T0);
  const agents = createSimAgents({
    servers: ['web-1'],
    initialVersion: '6.4.5',
    clock,
    delays: { stageMs: 500, activateMs: 3_000, rollbackMs: 2_000 },
  });
  const plan: CampaignPlan = {
    request: parseCampaignRequest(requestText({ waves: '1', maxParallel: 1, minHealthy: '1s', healthyDeadline: '30s' })),
    release: { version: '6.5.5', url: 'file:///fixtures/wordpress-6.5.5.tar.gz', digest: { algorithm: 'sha256', hex: 'a'.repeat(64) } },
    canary: 'web-1',
    canarySiteServers: [],
    waves: [{ index: 0, servers: ['web-1'] }],
    offlineServers: [],
  };
  const agent = agents.connect({ server: 'web-1', address: '127.0.0.1:7000' });
  const writes: Array<{ state: TargetState; patch: TargetPatch }> = [];
  const ctx: TargetStepContext = {
    campaignId: CAMPAIGN,
    plan,
    agent,
    gate: { run: async () => undefined },
    waiting: { clock, pollMs: 200, signal: new AbortController().signal },
    writeTarget: (state, patch) => {
      writes.push({ state, patch });
      return state === 'staging' ? answerStaging() : Promise.resolve(true);
    },
    campaignState: async () => 'running',
    recentCampaignState: async () => 'running',
    server: async () => undefined,
    sites: async () => [],
    log: silentLogger(),
  };
  const target = newTarget(CAMPAIGN, 'web-1', 0, T0);
  return { clock, agents, agent, writes, run: () => stageTarget(ctx, target) };
}

describe('stage step', () => {
  it('sends the stage while `staging` commits, and records the outcome only after it', async () => {
    let commit: (written: boolean) => void = () => undefined;
    const world = stageWorld(() => new Promise((resolve) => (commit = resolve)));
    let done = false;
    const step = world.run().then(() => (done = true));
    await world.clock.runUntil(() => world.agents.journaled('web-1', CAMPAIGN).length > 0, 'the agent accepted the stage');
    expect(world.agents.journaled('web-1', CAMPAIGN)).toEqual(['stage']);
    // The agent staged (500 ms) while `staging` was still uncommitted: its outcome waits.
    const stageId = operationIdFor(CAMPAIGN, 'web-1', 'stage');
    await world.clock.runUntil(async () => (await world.agent.getOperation(stageId)).state === 'OPERATION_STATE_SUCCEEDED', 'staged');
    await world.clock.settle();
    expect(world.writes.map((w) => w.state)).toEqual(['staging']);
    expect(done).toBe(false);
    commit(true);
    await world.clock.runUntil(() => done, 'the step ended');
    await step;
    expect(world.writes.map((w) => w.state)).toEqual(['staging', 'staged']);
    expect(world.writes[1]?.patch).toMatchObject({ fromVersion: '6.4.5', toRelease: expect.stringMatching(/6\.5\.5/) });
  });

  it('records nothing more when `staging` is refused (the server left the inventory meanwhile)', async () => {
    const world = stageWorld(async () => false);
    let done = false;
    const step = world.run().then(() => (done = true));
    await world.clock.runUntil(() => done, 'the step ended');
    await step;
    expect(world.writes.map((w) => w.state)).toEqual(['staging']);
  });
});
