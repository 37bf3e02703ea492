import { StateError } from '@wofleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAgentUpgrade, type CampaignRunner, type HeldPackage } from '../src/campaigns/index.js';
import { allOn, engineWorld, statesOf, targetState, type EngineWorld } from './campaigns.engine-fixtures.js';

/**
 * `wofleet agents upgrade` is a rollout campaign of the same engine: canary first,
 * waves, the health gate (the agent answers with the new version, its sites healthy),
 * and rollback to the package each server ran before. Fake time, simulated agents
 * (every one on wofleet-agent 0.2.0; 0.3.8's install does not take, 0.3.9 comes up unable to read its sites).
 */
const HELD: HeldPackage[] = [
  { version: '0.2.0', sha256: '2'.repeat(64) },
  { version: '0.3.0', sha256: '3'.repeat(64) },
  { version: '0.3.8', sha256: '8'.repeat(64) },
  { version: '0.3.9', sha256: '9'.repeat(64) },
];

describe('agent upgrades in fake time', () => {
  let w: EngineWorld;
  let runner: CampaignRunner;

  beforeEach(() => {
    w = engineWorld();
    runner = w.runner('ctl-a');
  });
  afterEach(async () => {
    await w.stop(runner);
  });

  const upgrade = (to: string, held: readonly HeldPackage[] = HELD) =>
    startAgentUpgrade(
      { repository: w.repository, clock: w.clock },
      w.request(),
      held.find((p) => p.version === to) ?? { version: to, sha256: '0'.repeat(64) },
      held,
      'operator:test',
    );

  it('installs the package on the canary first, then wave by wave, each held healthy on the new version', async () => {
    const { id } = await upgrade('0.3.0');
    await w.waitFor(id, 'canary verifying', (v) => targetState(v, 'web-1') === 'verifying');
    expect(w.agents.agentVersions()).toEqual({ 'web-1': '0.3.0', 'web-2': '0.2.0', 'web-3': '0.2.0', 'web-4': '0.2.0' });

    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(view)).toEqual(allOn('succeeded'));
    expect(w.agents.agentVersions()).toEqual(allOn('0.3.0'));
    expect(view.targets.map((t) => t.fromVersion)).toEqual(['0.2.0', '0.2.0', '0.2.0', '0.2.0']);
    expect(w.agents.journaled('web-1', id)).toEqual(['activate', 'stage']);
    // No WordPress release was touched.
    expect(w.agents.versions()).toEqual(allOn('6.4.5'));
  });

  it('a package that comes up unhealthy fails the canary gate and puts the previous package back', async () => {
    const { id } = await upgrade('0.3.9');
    const view = await w.waitFor(id, 'campaign failed', (v) => v.state === 'failed');
    expect(view.reason).toBe('the canary failed');
    expect(statesOf(view)).toEqual({ 'web-1': 'rolled-back', 'web-2': 'skipped', 'web-3': 'skipped', 'web-4': 'skipped' });
    expect(view.targets.find((t) => t.server === 'web-1')?.reason).toContain('wofleet-agent 0.3.9 cannot read its sites');
    expect(w.agents.journaled('web-1', id)).toEqual(['activate', 'rollback', 'rollback-stage', 'stage']);
    expect(w.agents.agentVersions()).toEqual(allOn('0.2.0'));
  });

  it('fails the gate while the agent still reports the old version: the install did not take, nothing to roll back', async () => {
    const { id } = await upgrade('0.3.8');
    const view = await w.waitFor(id, 'campaign failed', (v) => v.state === 'failed');
    expect(statesOf(view)).toEqual({ 'web-1': 'rolled-back', 'web-2': 'skipped', 'web-3': 'skipped', 'web-4': 'skipped' });
    expect(view.targets.find((t) => t.server === 'web-1')?.reason).toContain('the agent reports wofleet-agent 0.2.0, not 0.3.8');
    expect(w.agents.journaled('web-1', id)).toEqual(['activate', 'stage']);
    expect(w.agents.agentVersions()).toEqual(allOn('0.2.0'));
  });

  it('holds the gate until the restarted agent answers with the new version', async () => {
    const { id } = await upgrade('0.3.0');
    await w.waitFor(id, 'canary verifying', (v) => targetState(v, 'web-1') === 'verifying');
    // The agent restarts on the package: unreachable for a while, then back on 0.3.0.
    w.agents.setDown('web-1', true);
    await w.clock.advance(5_000);
    expect(targetState(await w.view(id), 'web-1')).toBe('verifying');
    w.agents.setDown('web-1', false);
    const view = await w.waitFor(id, 'canary succeeded', (v) => targetState(v, 'web-1') === 'succeeded');
    expect(view.state).toBe('running');
  });

  it('refuses to start when the controller does not hold the package a server would go back to', async () => {
    const withoutRollback = HELD.filter((p) => p.version !== '0.2.0');
    await expect(upgrade('0.3.0', withoutRollback)).rejects.toThrow(StateError);
    await expect(upgrade('0.3.0', withoutRollback)).rejects.toThrow(
      "cannot upgrade web-1: its rollback package (wofleet-agent 0.2.0) is not held by the controller; add it first with 'wofleet agents packages add'",
    );
  });
});
