import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignRepository, CampaignRunner, CampaignView } from '../src/campaigns/index.js';
import { allOn, engineWorld, NAMES, targetState, type EngineWorld } from './campaigns.engine-fixtures.js';

/**
 * The engine across controller restarts and lease handovers, in fake time: the
 * in-process counterpart of tests/rollout.crash.test.ts (which kills the real
 * controller with SIGKILL at each kill point). Progress lives only in the repository:
 * a runner started again resumes each server where it was, and the agents' operation
 * ids make every resent call harmless.
 */
describe('campaign engine across restarts, in fake time', () => {
  let w: EngineWorld;
  let runners: CampaignRunner[];
  const runner = (holderId: string, repository?: CampaignRepository) => {
    const run = repository ? w.runner(holderId, undefined, repository) : w.runner(holderId);
    runners.push(run);
    return run;
  };

  beforeEach(() => {
    w = engineWorld();
    runners = [];
  });
  afterEach(async () => {
    for (const run of runners) await w.stop(run);
  });

  const some = (state: string) => (v: CampaignView) => v.targets.some((t) => t.state === state);
  const CAMPAIGN_POINTS: Array<[string, (v: CampaignView) => boolean]> = [
    ['a server staging', some('staging')],
    ['a server staged', some('staged')],
    ['the canary wave started', (v) => v.waves[0]?.state === 'running'],
    ['the canary switching', (v) => targetState(v, 'web-1') === 'switching'],
    ['the canary verifying', (v) => targetState(v, 'web-1') === 'verifying'],
    ['the canary succeeded', (v) => targetState(v, 'web-1') === 'succeeded'],
    ['the canary wave done', (v) => v.waves[0]?.state === 'succeeded'],
    ['web-2 switching', (v) => targetState(v, 'web-2') === 'switching'],
    ['web-2 verifying', (v) => targetState(v, 'web-2') === 'verifying'],
    ['the last wave started', (v) => v.waves[2]?.state === 'running'],
  ];

  it('a controller restarted at every state of the campaign resumes it; each server switched exactly once, rolled back once', async () => {
    let run = runner('ctl-a');
    const id = await w.start({ minHealthy: '2s', healthyDeadline: '2m' });
    for (const [what, reached] of CAMPAIGN_POINTS) {
      await w.waitFor(id, what, reached);
      await w.stop(run);
      run = runner('ctl-a');
    }
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(view.targets.map((t) => t.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(w.agents.versions()).toEqual(allOn('6.5.5'));
    for (const server of NAMES) {
      expect(w.agents.activations(server)).toBe(1);
      expect(w.agents.journaled(server, id)).toEqual(['activate', 'stage']);
    }

    await w.act(id, 'rollback', { restoreDb: true });
    await w.waitFor(id, 'a server rolling back', some('rolling-back'));
    await w.stop(run);
    run = runner('ctl-a');
    const back = await w.waitFor(id, 'campaign rolled back', (v) => v.state === 'rolled-back');
    expect(back.targets.map((t) => t.state)).toEqual(['rolled-back', 'rolled-back', 'rolled-back', 'rolled-back']);
    expect(w.agents.versions()).toEqual(allOn('6.4.5'));
    for (const server of NAMES) expect(w.agents.journaled(server, id)).toEqual(['activate', 'revert', 'stage']);
  });

  it('a controller that stalls past its lease loses the campaign to another, which finishes it; the stalled one writes nothing more', async () => {
    const stalled = stallable(w.repository);
    runner('ctl-a', stalled.repository);
    const id = await w.start({ minHealthy: '2s' });
    await w.waitFor(id, 'web-1 verifying', (v) => targetState(v, 'web-1') === 'verifying');
    stalled.stall();
    runner('ctl-b');
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(view.targets.map((t) => t.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const written = w.repository.audit().length;
    stalled.resume();
    await w.clock.advance(10_000);
    expect(w.repository.audit()).toHaveLength(written);
    expect((await w.view(id)).state).toBe('succeeded');
    for (const server of NAMES) expect(w.agents.activations(server)).toBe(1);
    expect(w.repository.audit().some((row) => row.actor === 'controller:ctl-b')).toBe(true);
  });

  it('the progress deadline fails a campaign held by a closed window: every server skipped, none switched', async () => {
    runner('ctl-a');
    const opens = new Date(w.clock.now().getTime() + 2 * 3_600_000);
    const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const id = await w.start({
      window: `Mon-Sun ${hhmm(opens)}-${hhmm(new Date(opens.getTime() + 3_600_000))} UTC`,
      progressDeadline: '10m',
    });
    const view = await w.waitFor(id, 'campaign failed', (v) => v.state === 'failed');
    expect(view.reason).toBe('progress deadline passed');
    expect(view.targets.map((t) => t.state)).toEqual(['skipped', 'skipped', 'skipped', 'skipped']);
    expect(view.waves.map((wave) => wave.state)).toEqual(['skipped', 'skipped', 'skipped']);
    expect(w.clock.now().getTime() - view.createdAt.getTime()).toBeGreaterThan(10 * 60_000);
    for (const server of NAMES) expect(w.agents.journaled(server, id)).toEqual(['stage']);
    expect(w.agents.versions()).toEqual(allOn('6.4.5'));
  });
});

/** The repository as a stalled controller sees it: while stalled, every call waits (a process frozen, a network partition). */
function stallable(inner: CampaignRepository): { repository: CampaignRepository; stall(): void; resume(): void } {
  let gate: Promise<void> | undefined;
  let open = () => {};
  const held =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      while (gate) await gate;
      return call(...args);
    };
  const repository: CampaignRepository = {
    findRelease: held(inner.findRelease),
    listServers: held(inner.listServers),
    serversDigest: held(inner.serversDigest),
    listSites: held(inner.listSites),
    insertCampaign: held(inner.insertCampaign),
    loadCampaign: held(inner.loadCampaign),
    readCampaignState: held(inner.readCampaignState),
    readCampaignHead: held(inner.readCampaignHead),
    listCampaignIds: held(inner.listCampaignIds),
    findActiveCampaignsOf: held(inner.findActiveCampaignsOf),
    withCampaignLocked: async (id, work) => {
      while (gate) await gate;
      return inner.withCampaignLocked(id, work);
    },
    acquireLease: held(inner.acquireLease),
    releaseLease: held(inner.releaseLease),
  };
  return {
    repository,
    stall() {
      gate = new Promise<void>((resolve) => (open = resolve));
    },
    resume() {
      gate = undefined;
      open();
    },
  };
}
