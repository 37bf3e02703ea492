import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignRunner, CampaignView } from '../src/campaigns/index.js';
import { allOn, engineWorld, NAMES, statesOf, targetState, type EngineWorld } from './campaigns.engine-fixtures.js';

/**
 * The scenarios of tests/rollout.engine.test.ts (real agents, Postgres, NATS, real
 * time) on the engine alone in fake time: same requests, same expectations, seconds
 * instead of minutes. Each scenario starts from a fresh world (every server on 6.4.5).
 */
describe('campaign engine in fake time', () => {
  let w: EngineWorld;
  let runners: CampaignRunner[];
  const runner = (holderId: string, connected?: Set<string>) => {
    const run = w.runner(holderId, connected);
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

  /** Returns every server the campaign switched to 6.4.5 (`rollout rollback --restore-db`: the switch changed the DB version). */
  async function rollBack(id: string): Promise<CampaignView> {
    await w.act(id, 'rollback', { restoreDb: true });
    const view = await w.waitFor(id, 'rollback', (v) => v.state === 'rolled-back');
    expect(w.agents.versions()).toEqual(allOn('6.4.5'));
    return view;
  }

  /** Fails `server` in its health gate: unhealthy once it is verifying, until the campaign has failed it. */
  async function failWhileVerifying(id: string, server: string): Promise<void> {
    await w.waitFor(id, `${server} verifying`, (v) => targetState(v, server) === 'verifying');
    w.agents.setHealthy(server, false);
    await w.waitFor(id, `${server} failed`, (v) => targetState(v, server) !== 'verifying');
    w.agents.setHealthy(server, true);
  }

  it('a broken release fails on the canary: canary back on 6.4.5, nothing beyond it touched', async () => {
    runner('ctl-a');
    const id = await w.start({ release: '6.6.1' });
    const view = await w.waitFor(id, 'campaign failed', (v) => v.state === 'failed');
    expect(view.reason).toBe('the canary failed');
    expect(statesOf(view)).toEqual({ 'web-1': 'rolled-back', 'web-2': 'skipped', 'web-3': 'skipped', 'web-4': 'skipped' });
    // Why the canary failed stays in its reason after the campaign found it already back.
    expect(view.targets.find((t) => t.server === 'web-1')?.reason).toMatch(
      /^c\S+-web-1-activate failed: sites do not serve on wp-6\.6\.1-\d+: switched back to wp-6\.4\.5-\d+; already on its prior release: nothing to roll back$/,
    );
    expect(view.waves.map((wave) => wave.state)).toEqual(['failed', 'skipped', 'skipped']);
    expect(w.agents.versions()).toEqual(allOn('6.4.5'));
    expect(w.agents.journaled('web-1', id)).toEqual(['activate', 'stage']);
    for (const server of ['web-2', 'web-3', 'web-4']) expect(w.agents.journaled(server, id)).toEqual(['stage']);
  });

  it('a closed window holds every wave until it opens; one of two runners drives the whole campaign', async () => {
    const connectedA = new Set<string>();
    const connectedB = new Set<string>();
    const now = w.clock.now();
    const opens = new Date(now.getTime() + 2 * 3_600_000);
    const hhmm = (d: Date) => `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const window = `Mon-Sun ${hhmm(opens)}-${hhmm(new Date(opens.getTime() + 3_600_000))} UTC`;
    runner('ctl-a', connectedA);
    runner('ctl-b', connectedB);
    const id = await w.start({ window, progressDeadline: '1d' });
    await w.waitFor(id, 'every server staged', (v) => v.targets.every((t) => t.state === 'staged'));
    await w.clock.advance(2_000);
    const held = await w.view(id);
    expect(held.waves.map((wave) => wave.state)).toEqual(['pending', 'pending', 'pending']);
    for (const server of NAMES) expect(w.agents.journaled(server, id)).toEqual(['stage']);

    await w.clock.jump(opens.getTime() - now.getTime() + 60_000);
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(view)).toEqual(allOn('succeeded'));
    expect(view.targets.map((t) => t.fromVersion)).toEqual(['6.4.5', '6.4.5', '6.4.5', '6.4.5']);
    expect(w.agents.versions()).toEqual(allOn('6.5.5'));
    for (const server of NAMES) expect(w.agents.journaled(server, id)).toEqual(['activate', 'stage']);
    // Exactly one runner ever opened a connection to an agent.
    expect([connectedA.size, connectedB.size].sort()).toEqual([0, NAMES.length]);

    const mine = w.events.filter((e) => e.campaignId === id);
    expect(mine.filter((e) => e.scope === 'campaign').map((e) => e.state)).toEqual(['succeeded']);
    for (const server of NAMES) {
      expect(mine.filter((e) => e.server === server).map((e) => e.state)).toEqual([
        'staging',
        'staged',
        'switching',
        'verifying',
        'succeeded',
      ]);
    }
    expect(mine.filter((e) => e.scope === 'wave').map((e) => `${e.wave}:${e.state}`)).toEqual([
      '0:running',
      '0:succeeded',
      '1:running',
      '1:succeeded',
      '2:running',
      '2:succeeded',
    ]);

    const back = await rollBack(id);
    expect(statesOf(back)).toEqual(allOn('rolled-back'));
    for (const server of NAMES) expect(w.agents.journaled(server, id)).toEqual(['activate', 'revert', 'stage']);
  });

  it('pauses after the canary until promoted; pause lets in-flight servers finish and starts no new one until resumed', async () => {
    runner('ctl-a');
    const id = await w.start({ pauseAfterCanary: true });
    const waiting = await w.waitFor(id, 'awaiting promotion', (v) => v.state === 'awaiting-promotion');
    expect(targetState(waiting, 'web-1')).toBe('succeeded');
    await w.clock.advance(1_500);
    expect((await w.view(id)).state).toBe('awaiting-promotion');
    for (const server of ['web-2', 'web-3', 'web-4']) expect(w.agents.journaled(server, id)).toEqual(['stage']);
    expect(w.agents.versions()).toEqual({ 'web-1': '6.5.5', 'web-2': '6.4.5', 'web-3': '6.4.5', 'web-4': '6.4.5' });

    await w.act(id, 'promote');
    await w.waitFor(id, 'web-2 switching', (v) => targetState(v, 'web-2') === 'switching' || targetState(v, 'web-2') === 'verifying');
    await w.act(id, 'pause');
    await w.waitFor(id, 'web-2 done while paused', (v) => targetState(v, 'web-2') === 'succeeded');
    await w.clock.advance(1_500);
    const paused = await w.view(id);
    expect(paused.state).toBe('paused');
    expect(paused.waves[2]?.state).toBe('pending');
    expect([targetState(paused, 'web-3'), targetState(paused, 'web-4')]).toEqual(['staged', 'staged']);

    await w.act(id, 'resume');
    const done = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(done)).toEqual(allOn('succeeded'));
    expect(w.agents.versions()).toEqual(allOn('6.5.5'));
    await rollBack(id);
  });

  it('abort rolls back every server the campaign switched and skips the others', async () => {
    runner('ctl-a');
    const id = await w.start({ minHealthy: '3s' });
    await w.waitFor(id, 'web-2 verifying', (v) => targetState(v, 'web-2') === 'verifying');
    await w.act(id, 'abort');
    const view = await w.waitFor(id, 'campaign aborted', (v) => v.state === 'aborted');
    expect(statesOf(view)).toEqual({ 'web-1': 'rolled-back', 'web-2': 'rolled-back', 'web-3': 'skipped', 'web-4': 'skipped' });
    expect(w.agents.versions()).toEqual(allOn('6.4.5'));
    expect(w.agents.journaled('web-2', id)).toEqual(['activate', 'rollback', 'stage']);
    for (const server of ['web-3', 'web-4']) expect(w.agents.journaled(server, id)).toEqual(['stage']);
    await w.act(id, 'rollback');
    expect(await w.waitFor(id, 'nothing left to roll back', (v) => v.state === 'rolled-back')).toMatchObject({ state: 'rolled-back' });
  });

  it('a failure within --max-failures is rolled back and the campaign goes on', async () => {
    runner('ctl-a');
    const id = await w.start({ maxFailures: '1', minHealthy: '3s', healthyDeadline: '8s' });
    await failWhileVerifying(id, 'web-2');
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(view)).toEqual({ 'web-1': 'succeeded', 'web-2': 'rolled-back', 'web-3': 'succeeded', 'web-4': 'succeeded' });
    expect(view.targets.find((t) => t.server === 'web-2')?.reason).toContain('not healthy for the min healthy time');
    expect(view.waves.map((wave) => wave.state)).toEqual(['succeeded', 'failed', 'succeeded']);
    expect(w.agents.versions()).toEqual({ 'web-1': '6.5.5', 'web-2': '6.4.5', 'web-3': '6.5.5', 'web-4': '6.5.5' });
    await rollBack(id);
  });

  it('a failure over --max-failures halts the campaign: the failed server rolled back, the rest never switched', async () => {
    runner('ctl-a');
    const id = await w.start({ maxFailures: '0', minHealthy: '3s', healthyDeadline: '8s' });
    await failWhileVerifying(id, 'web-2');
    const view = await w.waitFor(id, 'campaign failed', (v) => v.state === 'failed');
    expect(view.reason).toBe('failed servers over --max-failures');
    expect(statesOf(view)).toEqual({ 'web-1': 'succeeded', 'web-2': 'rolled-back', 'web-3': 'skipped', 'web-4': 'skipped' });
    expect(w.agents.versions()).toEqual({ 'web-1': '6.5.5', 'web-2': '6.4.5', 'web-3': '6.4.5', 'web-4': '6.4.5' });
    for (const server of ['web-3', 'web-4']) expect(w.agents.journaled(server, id)).toEqual(['stage']);
    await rollBack(id);
  });

  it('an agent down mid-campaign fails its server after the healthy deadline, and the policy goes on within --max-failures', async () => {
    runner('ctl-a');
    const id = await w.start({ maxFailures: '1', healthyDeadline: '6s' });
    await w.waitFor(id, 'web-2 switching', (v) => targetState(v, 'web-2') === 'switching' || targetState(v, 'web-2') === 'verifying');
    w.agents.setDown('web-3', true);
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    const web3 = view.targets.find((t) => t.server === 'web-3');
    // Never reached to switch, nor to roll back: both said so after the deadline.
    expect(web3?.state).toBe('rollback-failed');
    expect(web3?.reason).toMatch(/cannot reach agent web-3|did not answer/);
    expect(statesOf(view)).toMatchObject({ 'web-1': 'succeeded', 'web-2': 'succeeded', 'web-4': 'succeeded' });
    expect(view.waves.map((wave) => wave.state)).toEqual(['succeeded', 'succeeded', 'failed']);

    w.agents.setDown('web-3', false);
    expect(w.agents.journaled('web-3', id)).toEqual(['stage']);
    // The campaign rollback finds web-3 still on its prior release and leaves it so.
    const back = await rollBack(id);
    expect(back.targets.find((t) => t.server === 'web-3')?.reason).toBe('already on its prior release: nothing to roll back');
  });

  it('a server removed from the inventory after planning is skipped without an agent call: not a failure, even under --max-failures 0', async () => {
    const id = await w.start({ maxFailures: '0' });
    w.repository.removeServer('web-4');
    runner('ctl-a');
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(view)).toEqual({ 'web-1': 'succeeded', 'web-2': 'succeeded', 'web-3': 'succeeded', 'web-4': 'skipped' });
    expect(view.targets.find((t) => t.server === 'web-4')?.reason).toBe('server removed from the inventory');
    expect(view.waves.map((wave) => wave.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(w.agents.journaled('web-4', id)).toEqual([]);
    expect(w.agents.versions()).toEqual({ 'web-1': '6.5.5', 'web-2': '6.5.5', 'web-3': '6.5.5', 'web-4': '6.4.5' });
  });

  /** The audit rows written for `server` in campaign `id`, as `state (reason)`. */
  const auditOf = (id: string, server: string) =>
    w.repository
      .audit()
      .filter((a) => a.event.campaignId === id && a.event.server === server)
      .map((a) => `${a.event.state}${a.event.reason ? ` (${a.event.reason})` : ''}`);

  it('a server that vanishes while verifying (row deleted, agent gone) is skipped at once; the campaign goes on under --max-failures 0', async () => {
    runner('ctl-a');
    const id = await w.start({ maxFailures: '0', minHealthy: '3s', healthyDeadline: '8s' });
    await w.waitFor(id, 'web-2 verifying', (v) => targetState(v, 'web-2') === 'verifying');
    w.agents.setDown('web-2', true);
    w.repository.removeServer('web-2');
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(view)).toEqual({ 'web-1': 'succeeded', 'web-2': 'skipped', 'web-3': 'succeeded', 'web-4': 'succeeded' });
    expect(view.targets.find((t) => t.server === 'web-2')?.reason).toBe('server removed from the inventory');
    // Nothing tried to roll back a server that is not there, and its target was written once more, not every pass.
    expect(w.agents.journaled('web-2', id)).toEqual(['activate', 'stage']);
    const rows = auditOf(id, 'web-2');
    expect(rows.slice(-2)).toEqual(['verifying', 'skipped (server removed from the inventory)']);
    await w.clock.advance(5_000);
    expect(auditOf(id, 'web-2')).toEqual(rows);
  });

  it('abort completes when a switched server was removed: the others rolled back, the removed one skipped, no row per pass', async () => {
    runner('ctl-a');
    const id = await w.start({ minHealthy: '3s' });
    await w.waitFor(id, 'web-2 verifying', (v) => targetState(v, 'web-2') === 'verifying');
    w.repository.removeServer('web-2');
    await w.act(id, 'abort');
    const view = await w.waitFor(id, 'campaign aborted', (v) => v.state === 'aborted');
    expect(statesOf(view)).toEqual({ 'web-1': 'rolled-back', 'web-2': 'skipped', 'web-3': 'skipped', 'web-4': 'skipped' });
    expect(w.agents.versions()).toMatchObject({ 'web-1': '6.4.5', 'web-3': '6.4.5', 'web-4': '6.4.5' });
    expect(w.agents.journaled('web-2', id)).toEqual(['activate', 'stage']);
    expect(auditOf(id, 'web-2').filter((row) => row.includes('server removed'))).toHaveLength(1);
    // The campaign no longer holds the name: a server added back under it can be targeted again.
    expect(await w.repository.findActiveCampaignsOf(['web-2'])).toEqual([]);
  });

  it('--offline skip: a dead server is not staged while offline, waited for in its wave, then skipped; the campaign succeeds under --max-failures 0', async () => {
    w.repository.setServerStatus('web-3', 'offline');
    w.agents.setDown('web-3', true);
    runner('ctl-a');
    const id = await w.start({ maxFailures: '0', offline: 'skip', offlineWait: '20s' });
    const waiting = await w.waitFor(id, 'web-3 waited for', (v) => v.targets.some((t) => t.server === 'web-3' && t.offlineSince !== null));
    expect(waiting.targets.find((t) => t.server === 'web-3')).toMatchObject({
      state: 'pending',
      reason: 'waiting for the server to come back online',
    });
    expect(waiting.waves.map((wave) => wave.state)).toEqual(['succeeded', 'succeeded', 'running']);
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(view)).toEqual({ 'web-1': 'succeeded', 'web-2': 'succeeded', 'web-3': 'skipped', 'web-4': 'succeeded' });
    const web3 = view.targets.find((t) => t.server === 'web-3');
    expect(web3).toMatchObject({ reason: 'server offline past --offline-wait: skipped (--offline skip)', offlineSince: null });
    expect(auditOf(id, 'web-3')).toEqual([
      'pending (waiting for the server to come back online)',
      'skipped (server offline past --offline-wait: skipped (--offline skip))',
    ]);
    expect(w.agents.journaled('web-3', id)).toEqual([]);
    // Waited for --offline-wait from when its wave needed it, not from the campaign's start.
    const [began, skipped] = w.repository
      .audit()
      .filter((a) => a.event.server === 'web-3')
      .map((a) => Date.parse(a.event.at));
    expect((skipped ?? 0) - (began ?? 0)).toBeGreaterThanOrEqual(20_000);
    expect((skipped ?? 0) - (began ?? 0)).toBeLessThan(20_000 + 2_000);
  });

  it('a stage the agent reports interrupted (agent killed mid-stage) is staged again under the next attempt id; the campaign succeeds', async () => {
    w.agents.interruptStages('web-3', 2);
    runner('ctl-a');
    const id = await w.start({ maxFailures: '0' });
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(view)).toEqual(allOn('succeeded'));
    expect(w.agents.journaled('web-3', id)).toEqual(['activate', 'stage', 'stage-r1', 'stage-r2']);
    expect(w.agents.activations('web-3')).toBe(1);
  });

  it("a stage interrupted on every attempt fails its target after three, with the agent's outcome as the reason", async () => {
    w.agents.interruptStages('web-3', 5);
    runner('ctl-a');
    const id = await w.start({ maxFailures: '1' });
    const view = await w.waitFor(id, 'campaign done', (v) => v.state === 'succeeded' || v.state === 'failed');
    expect(view.targets.find((t) => t.server === 'web-3')).toMatchObject({
      state: 'failed',
      reason: `c${id}-web-3-stage-r2 interrupted: no error given`,
    });
    expect(w.agents.journaled('web-3', id)).toEqual(['stage', 'stage-r1', 'stage-r2']);
  });

  it('--offline fail: a server offline past --offline-wait fails without an agent call and counts against --max-failures', async () => {
    w.repository.setServerStatus('web-3', 'offline');
    w.agents.setDown('web-3', true);
    runner('ctl-a');
    const id = await w.start({ maxFailures: '0', offline: 'fail', offlineWait: '10s' });
    const view = await w.waitFor(id, 'campaign failed', (v) => v.state === 'failed');
    expect(view.reason).toBe('failed servers over --max-failures');
    expect(view.targets.find((t) => t.server === 'web-3')).toMatchObject({
      state: 'failed',
      reason: 'server offline past --offline-wait (--offline fail)',
    });
    expect(w.agents.journaled('web-3', id)).toEqual([]);
  });

  it('--offline wait: the campaign waits past any deadline for the offline server, shows it, and finishes once it is back', async () => {
    w.repository.setServerStatus('web-3', 'offline');
    w.agents.setDown('web-3', true);
    runner('ctl-a');
    const id = await w.start({ maxFailures: '0', offline: 'wait', progressDeadline: '1h' });
    await w.waitFor(id, 'web-3 waited for', (v) => v.targets.some((t) => t.server === 'web-3' && t.offlineSince !== null));
    await w.clock.advance(10 * 60_000);
    const waiting = await w.view(id);
    expect(waiting.state).toBe('running');
    expect(waiting.targets.find((t) => t.server === 'web-3')).toMatchObject({
      state: 'pending',
      reason: 'waiting for the server to come back online',
    });
    expect(statesOf(waiting)).toMatchObject({ 'web-1': 'succeeded', 'web-2': 'succeeded', 'web-4': 'succeeded' });

    w.agents.setDown('web-3', false);
    w.repository.setServerStatus('web-3', 'online');
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(view)).toEqual(allOn('succeeded'));
    expect(view.targets.find((t) => t.server === 'web-3')).toMatchObject({ reason: null, offlineSince: null });
    expect(w.agents.journaled('web-3', id)).toEqual(['activate', 'stage']);
  });

  it('a server presence says is offline whose agent answers is asked, not waited for: staged and switched at once, never skipped', async () => {
    // Heartbeats not heard (a NATS outage): the agent itself still answers over gRPC.
    w.repository.setServerStatus('web-3', 'offline');
    runner('ctl-a');
    const id = await w.start({ maxFailures: '0', offline: 'skip', offlineWait: '20s' });
    const view = await w.waitFor(id, 'campaign over', (v) => v.state !== 'running');
    expect(view.state).toBe('succeeded');
    expect(statesOf(view)).toEqual(allOn('succeeded'));
    expect(auditOf(id, 'web-3')).not.toContain('pending (waiting for the server to come back online)');
    expect(w.agents.journaled('web-3', id)).toEqual(['activate', 'stage']);
    expect(w.agents.versions()).toEqual(allOn('6.5.5'));
  });

  it('an offline canary whose agent answers is planned and switched; one whose agent is silent too is refused', async () => {
    w.repository.setServerStatus('web-1', 'offline');
    w.agents.setDown('web-1', true);
    await expect(w.start()).rejects.toThrow("canary server 'web-1' is offline: it must be online to start a campaign");
    w.agents.setDown('web-1', false);
    runner('ctl-a');
    const id = await w.start();
    const view = await w.waitFor(id, 'campaign over', (v) => v.state !== 'running');
    expect(view.state).toBe('succeeded');
    expect(w.agents.journaled('web-1', id)).toEqual(['activate', 'stage']);
  });

  it('an offline canary is never skipped: with --offline skip it fails the campaign after --offline-wait, nothing else switched', async () => {
    const id = await w.start({ offline: 'skip', offlineWait: '10s' });
    w.repository.setServerStatus('web-1', 'offline');
    w.agents.setDown('web-1', true);
    runner('ctl-a');
    const view = await w.waitFor(id, 'campaign failed', (v) => v.state === 'failed');
    expect(view.reason).toBe('the canary failed');
    expect(view.targets.find((t) => t.server === 'web-1')).toMatchObject({
      state: 'failed',
      reason: 'canary server offline past --offline-wait: a canary is never skipped',
    });
    expect(w.agents.versions()).toEqual(allOn('6.4.5'));
    for (const server of NAMES) expect(w.agents.journaled(server, id)).not.toContain('activate');
  });

  it('a server reported offline whose agent cannot be reached either fails its health gate at the healthy deadline', async () => {
    runner('ctl-a');
    const id = await w.start({ maxFailures: '1', minHealthy: '3s', healthyDeadline: '8s' });
    await w.waitFor(id, 'web-2 verifying', (v) => targetState(v, 'web-2') === 'verifying');
    w.repository.setServerStatus('web-2', 'offline');
    w.agents.setDown('web-2', true);
    const failed = await w.waitFor(id, 'web-2 failed', (v) => targetState(v, 'web-2') !== 'verifying');
    expect(failed.targets.find((t) => t.server === 'web-2')?.reason).toBe(
      'not healthy for the min healthy time within the healthy deadline (server offline)',
    );
    w.agents.setDown('web-2', false);
    w.repository.setServerStatus('web-2', 'online');
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(targetState(view, 'web-2')).toBe('rolled-back');
  });

  it('a server presence says is offline but whose agent answers healthy passes its health gate: presence is a hint', async () => {
    runner('ctl-a');
    const id = await w.start({ minHealthy: '3s', healthyDeadline: '8s' });
    await w.waitFor(id, 'web-2 verifying', (v) => targetState(v, 'web-2') === 'verifying');
    // Heartbeats not heard (a NATS outage): the agent itself still answers over gRPC.
    w.repository.setServerStatus('web-2', 'offline');
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state !== 'running');
    expect(view.state).toBe('succeeded');
    expect(statesOf(view)).toEqual(allOn('succeeded'));
    expect(w.agents.versions()).toEqual(allOn('6.5.5'));
    expect(w.agents.journaled('web-2', id)).toEqual(['activate', 'stage']);
  });

  it("the canary's health gate runs the serving proof: a site that fails it fails the canary, named with its plugin", async () => {
    w.agents.setFailingProof('web-1', {
      site: 'a.web-1.test',
      culprit: 'plugin shop-kit',
      error: 'GET / answered 500: PHP Fatal error: Uncaught Error: Call to undefined function wp_old_api() in shop-kit.php:12',
    });
    runner('ctl-a');
    const id = await w.start({ minHealthy: '3s', healthyDeadline: '8s' });
    const view = await w.waitFor(id, 'campaign failed', (v) => v.state === 'failed');
    expect(view.reason).toBe('the canary failed');
    expect(statesOf(view)).toEqual({ 'web-1': 'rolled-back', 'web-2': 'skipped', 'web-3': 'skipped', 'web-4': 'skipped' });
    expect(view.targets.find((t) => t.server === 'web-1')?.reason).toBe(
      'not healthy for the min healthy time within the healthy deadline (site a.web-1.test does not serve [plugin shop-kit]: ' +
        'GET / answered 500: PHP Fatal error: Uncaught Error: Call to undefined function wp_old_api() in shop-kit.php:12)',
    );
    expect(w.agents.versions()).toEqual(allOn('6.4.5'));
    for (const server of ['web-2', 'web-3', 'web-4']) expect(w.agents.journaled(server, id)).toEqual(['stage']);
  });

  it('--canary-site sends the domain to the server holding it and lets every other agent pick', async () => {
    runner('ctl-a');
    const id = await w.start({ canarySite: 'b.web-3.test' });
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(view.plan.request.canarySite).toBe('b.web-3.test');
    expect(view.plan.canarySiteServers).toEqual(['web-3']);
    expect(Object.fromEntries(NAMES.map((n) => [n, w.agents.canarySites(n)]))).toEqual({
      'web-1': [''],
      'web-2': [''],
      'web-3': ['b.web-3.test'],
      'web-4': [''],
    });
  });

  it('--canary-site must be a site of a target: refused before anything is recorded', async () => {
    await expect(w.start({ canarySite: 'unknown.test' })).rejects.toThrow(
      "--canary-site unknown.test is not a site of the inventory (see 'wofleet sites list')",
    );
    await expect(w.start({ servers: ['web-1', 'web-2'], waves: '1,1', canarySite: 'a.web-3.test' })).rejects.toThrow(
      '--canary-site a.web-3.test is on web-3, none of them a target of this campaign',
    );
    expect(await w.repository.listCampaignIds({})).toEqual([]);
  });

  it('an external check failing on one server fails it like an unhealthy agent: over --max-failures the campaign halts and rolls it back', async () => {
    const failure = '--check-http GET http://b.web-2.test/ via 127.0.0.1:8080: status 500, expected 200';
    w.gate.failing.set('web-2', failure);
    runner('ctl-a');
    const id = await w.start({ checkHttp: ['path=/,connect=server:8080'], maxFailures: '0', minHealthy: '3s', healthyDeadline: '8s' });
    const view = await w.waitFor(id, 'campaign failed', (v) => v.state === 'failed');
    expect(view.reason).toBe('failed servers over --max-failures');
    expect(statesOf(view)).toEqual({ 'web-1': 'succeeded', 'web-2': 'rolled-back', 'web-3': 'skipped', 'web-4': 'skipped' });
    expect(view.targets.find((t) => t.server === 'web-2')?.reason).toBe(
      `not healthy for the min healthy time within the healthy deadline (${failure})`,
    );
    expect(w.agents.versions()).toEqual({ 'web-1': '6.5.5', 'web-2': '6.4.5', 'web-3': '6.4.5', 'web-4': '6.4.5' });
    for (const server of ['web-3', 'web-4']) expect(w.agents.journaled(server, id)).toEqual(['stage']);
    // The checks saw the server as the inventory has it: address, labels, sites (SSL or not).
    expect(w.gate.runs.find((r) => r.server.name === 'web-1')).toEqual({
      campaignId: id,
      release: '6.5.5',
      server: {
        name: 'web-1',
        address: '127.0.0.1:7000',
        canary: true,
        enrolled: true,
        status: 'online',
        labels: { n: '0' },
        agentVersion: '0.2.0',
      },
      sites: [
        { server: 'web-1', domain: 'a.web-1.test', ssl: true },
        { server: 'web-1', domain: 'b.web-1.test', ssl: false },
      ],
    });
    expect(new Set(w.gate.runs.map((r) => r.server.name))).toEqual(new Set(['web-1', 'web-2']));
  });

  it('a healthy hold is checked five times over --min-healthy and once more at its end, not every poll', async () => {
    runner('ctl-a');
    const id = await w.start({ checkCommand: ['/usr/local/bin/smoke'], checkTimeout: '5s', minHealthy: '10s' });
    expect((await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded')).state).toBe('succeeded');
    // 10 s / 5 = every 2 s (the poll is 0.2 s): at 0, 2, 4, 6, 8 and 10 s of the hold.
    for (const server of NAMES) expect(w.gate.runs.filter((r) => r.server.name === server).length).toBe(6);
  });

  it('external checks that pass hold every server through its gate; a campaign without checks never runs them', async () => {
    runner('ctl-a');
    const id = await w.start({ checkCommand: ['/usr/local/bin/smoke'], checkTimeout: '5s', minHealthy: '3s' });
    const view = await w.waitFor(id, 'campaign succeeded', (v) => v.state === 'succeeded');
    expect(statesOf(view)).toEqual(allOn('succeeded'));
    // Every check of each hold ran them, the last at its end: more than one run per server.
    for (const server of NAMES) expect(w.gate.runs.filter((r) => r.server.name === server).length).toBeGreaterThan(1);
    await rollBack(id);

    const runs = w.gate.runs.length;
    const plain = await w.start({});
    expect((await w.waitFor(plain, 'campaign succeeded', (v) => v.state === 'succeeded')).state).toBe('succeeded');
    expect(w.gate.runs.length).toBe(runs);
  });
});
