import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RestoreDbRequiredError, type CampaignRunner } from '../src/campaigns/index.js';
import { allOn, engineWorld, statesOf, targetState, type EngineWorld } from './campaigns.engine-fixtures.js';

/**
 * DB snapshots on rollback, in fake time. The simulated switch from 6.4.5 to 6.5.5
 * changes the DB version, so each switch took snapshots: a failed server's policy
 * rollback, minutes later, restores them; the operator's `rollout rollback`, maybe
 * weeks later, only when told to (--restore-db).
 */
describe('campaign engine: DB snapshots on rollback', () => {
  let w: EngineWorld;
  let runners: CampaignRunner[];

  beforeEach(() => {
    w = engineWorld();
    runners = [];
  });
  afterEach(async () => {
    for (const run of runners) await w.stop(run);
  });

  it('the policy rollback of a failed server restores its DB; the operator rollback is refused without --restore-db, restores with it', async () => {
    runners.push(w.runner('ctl-a'));
    const id = await w.start({ maxFailures: '1', minHealthy: '3s', healthyDeadline: '8s' });
    await w.waitFor(id, 'web-2 verifying', (v) => targetState(v, 'web-2') === 'verifying');
    w.agents.setHealthy('web-2', false);
    await w.waitFor(id, 'web-2 failed', (v) => targetState(v, 'web-2') !== 'verifying');
    w.agents.setHealthy('web-2', true);
    const done = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(done)).toEqual({ 'web-1': 'succeeded', 'web-2': 'rolled-back', 'web-3': 'succeeded', 'web-4': 'succeeded' });
    expect(w.agents.dbRestores('web-2')).toEqual([`c${id}-web-2-rollback`]);

    // Three days later: web-1, web-3 and web-4 would get 3-day-old snapshots back (two sites each).
    await w.clock.jump(3 * 86_400_000);
    const refused = w.act(id, 'rollback');
    await expect(refused).rejects.toBeInstanceOf(RestoreDbRequiredError);
    await expect(refused).rejects.toThrow(
      `rolling back campaign ${id} would restore the DB snapshots of 6 sites on 3 servers, taken 3d ago when the campaign switched them`,
    );
    expect((await w.view(id)).state).toBe('succeeded');

    await w.act(id, 'rollback', { restoreDb: true });
    const back = await w.waitFor(id, 'rolled back', (v) => v.state === 'rolled-back');
    expect(statesOf(back)).toEqual(allOn('rolled-back'));
    expect(w.agents.versions()).toEqual(allOn('6.4.5'));
    for (const server of ['web-1', 'web-3', 'web-4']) expect(w.agents.dbRestores(server)).toEqual([`c${id}-${server}-revert`]);
    expect(w.agents.dbRestores('web-2')).toEqual([`c${id}-web-2-rollback`]);
  });
});
