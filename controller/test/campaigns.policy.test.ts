import { describe, expect, it } from 'vitest';
import { parseCampaignRequest, type CampaignRequest } from '../src/campaigns/index.js';
import { decide, failureBudget, type CampaignFacts, type TargetFacts } from '../src/campaigns/policy.js';
import { requestText } from './campaigns.fixtures.js';
import { T0, secondsAfter } from './db.fixtures.js';

/**
 * policy.decide as a table: campaign facts in, transitions and steps out. Four
 * targets: canary c (wave 0), a (wave 1), b and d (wave 2).
 */
const request = (overrides: Parameters<typeof requestText>[0] = {}): CampaignRequest =>
  parseCampaignRequest(requestText({ waves: '1,1,2', maxParallel: 2, minHealthy: '1s', healthyDeadline: '1m', ...overrides }));

/** A target as the pass gives it to decide: pending and online unless `more` says otherwise. */
function targetFacts(server: string, wave: number, more: Partial<TargetFacts> = {}): TargetFacts {
  return {
    server,
    wave,
    state: 'pending',
    switched: false,
    failed: false,
    operationId: null,
    presence: 'online',
    offlineSince: null,
    verifyingSince: null,
    ...more,
  };
}

function facts(overrides: Partial<CampaignFacts> & { states?: Record<string, Partial<TargetFacts>> } = {}): CampaignFacts {
  const base = [targetFacts('c', 0), targetFacts('a', 1), targetFacts('b', 2), targetFacts('d', 2)];
  const targets = base.map((t) => ({ ...t, ...overrides.states?.[t.server] }));
  return {
    state: 'running',
    request: request(),
    lastProgressAt: T0,
    waves: [0, 1, 2].map((index) => ({ index, state: 'pending' as const })),
    targets,
    inFlight: new Set(),
    now: secondsAfter(T0, 10),
    windowOpen: true,
    ...overrides,
  };
}
const staged = { state: 'staged' as const };
const succeeded = { state: 'succeeded' as const, switched: true };
const allStaged = { c: staged, a: staged, b: staged, d: staged };

describe('policy.decide', () => {
  it('pre-stages every target at start, max parallel at a time, and opens the canary wave', () => {
    const d = decide(facts());
    expect(d.start).toEqual([
      { server: 'c', step: 'stage' },
      { server: 'a', step: 'stage' },
    ]);
    expect(d.waves).toEqual([{ index: 0, state: 'running' }]);
    expect(d.connect).toEqual([]);
  });

  it('opens the channels of the next pending servers while stages run, a quarter of the stages in flight', () => {
    const pending = Array.from({ length: 12 }, (_, i) => targetFacts(`s${i}`, 2));
    const withStaging = (inFlight: string[]) =>
      decide(
        facts({
          request: request({ maxParallel: 5 }),
          targets: pending.map((t, i) =>
            i === 1 ? { ...t, state: 'staging' as const } : i === 6 ? { ...t, presence: 'offline' as const } : t,
          ),
          inFlight: new Set(inFlight),
        }),
      );
    // Five stages in flight (s1 recorded staging, the others still pending): no slot, two opened ahead, offline s6 passed over.
    let d = withStaging(['s0', 's1', 's2', 's3', 's4']);
    expect(d.start).toEqual([]);
    expect(d.connect).toEqual(['s5', 's7']);
    // Two in flight: three slots start stages, one more opened ahead.
    d = withStaging(['s0', 's1']);
    expect(d.start.map((s) => s.server)).toEqual(['s2', 's3', 's4']);
    expect(d.connect).toEqual(['s5']);
    // Steps in flight that are not stages (a switch) bring no stage ahead.
    d = decide(
      facts({
        request: request({ maxParallel: 1 }),
        waves: [{ index: 0, state: 'running' as const }, ...[1, 2].map((index) => ({ index, state: 'pending' as const }))],
        states: { c: { state: 'switching', switched: true } },
        inFlight: new Set(['c']),
      }),
    );
    expect(d.start).toEqual([]);
    expect(d.connect).toEqual([]);
  });

  it('opens no wave while the window is closed', () => {
    const d = decide(facts({ windowOpen: false, states: allStaged }));
    expect(d.waves).toEqual([]);
    expect(d.start).toEqual([]);
  });

  it('switches only the servers of the running wave, max parallel at a time', () => {
    const waves = [
      { index: 0, state: 'succeeded' as const },
      { index: 1, state: 'succeeded' as const },
      { index: 2, state: 'running' as const },
    ];
    const d = decide(facts({ waves, states: { c: succeeded, a: succeeded, b: staged, d: staged }, inFlight: new Set(['b']) }));
    expect(d.start).toEqual([{ server: 'd', step: 'switch' }]);
  });

  it('opens the channels of the next servers in line, one per slot whose hold ends within CONNECT_AHEAD_MS', () => {
    const waves = [
      { index: 0, state: 'succeeded' as const },
      { index: 1, state: 'succeeded' as const },
      { index: 2, state: 'running' as const },
    ];
    const now = secondsAfter(T0, 100);
    const member = (server: string, more: Partial<TargetFacts>) => targetFacts(server, 2, { state: 'staged', ...more });
    const verifying = (sinceSeconds: number): Partial<TargetFacts> => ({
      state: 'verifying',
      switched: true,
      verifyingSince: secondsAfter(now, -sinceSeconds),
    });
    const inWave = (b: Partial<TargetFacts>, d: Partial<TargetFacts>): CampaignFacts =>
      facts({
        request: request({ minHealthy: '30s' }),
        waves,
        now,
        targets: [
          ...facts({ states: { c: succeeded, a: succeeded } }).targets.filter((t) => t.wave < 2),
          member('b', b),
          member('d', d),
          member('e', {}),
          member('f', { presence: 'offline' }),
          member('g', {}),
        ],
        inFlight: new Set(['b', 'd']),
      });
    // b's hold ends in 1 s, d's in 25 s: one slot frees soon; e is next (f is offline).
    let d = decide(inWave(verifying(29), verifying(5)));
    expect(d.start).toEqual([]);
    expect(d.connect).toEqual(['e']);
    // Both end soon (one overdue): e and g.
    d = decide(inWave(verifying(29), verifying(40)));
    expect(d.connect).toEqual(['e', 'g']);
    // b ends in 10 s, d still switching: nothing opened ahead.
    expect(decide(inWave(verifying(20), { state: 'switching', switched: true })).connect).toEqual([]);
    // The wave's last hold ends soon: nothing is next in it, and it is the last wave.
    const lastHold = inWave(verifying(29), succeeded);
    expect(decide({ ...lastHold, targets: lastHold.targets.slice(0, 3), inFlight: new Set(['b']) }).connect).toEqual([]);
    // A free slot (d done) starts the switch instead.
    d = decide({ ...inWave(verifying(29), succeeded), inFlight: new Set(['b']) });
    expect(d.start).toEqual([{ server: 'e', step: 'switch' }]);
    expect(d.connect).toEqual(['g']);
  });

  it('connects the next wave ahead, max parallel of it, when the last holds of the running wave end within CONNECT_AHEAD_MS', () => {
    const waves = [
      { index: 0, state: 'succeeded' as const },
      { index: 1, state: 'running' as const },
      { index: 2, state: 'pending' as const },
    ];
    const now = secondsAfter(T0, 100);
    const holding = (sinceSeconds: number) =>
      facts({
        request: request({ minHealthy: '30s', maxParallel: 1 }),
        waves,
        now,
        states: {
          c: succeeded,
          a: { state: 'verifying', switched: true, verifyingSince: secondsAfter(now, -sinceSeconds) },
          b: staged,
          d: staged,
        },
        inFlight: new Set(['a']),
      });
    expect(decide(holding(29)).connect).toEqual(['b']);
    expect(decide(holding(20)).connect).toEqual([]);
    // Not past a canary wave that waits for promote.
    const canary = facts({
      request: request({ minHealthy: '30s', pauseAfterCanary: true }),
      waves: [{ index: 0, state: 'running' as const }, ...waves.slice(1).map((w) => ({ ...w, state: 'pending' as const }))],
      now,
      states: { c: { state: 'verifying', switched: true, verifyingSince: secondsAfter(now, -29) }, a: staged, b: staged, d: staged },
      inFlight: new Set(['c']),
    });
    expect(decide(canary).connect).toEqual([]);
    expect(decide({ ...canary, request: request({ minHealthy: '30s' }) }).connect).toEqual(['a']);
  });

  it('waits for the canary wave before the next, and closes it once its server succeeded', () => {
    const waves = [
      { index: 0, state: 'running' as const },
      { index: 1, state: 'pending' as const },
      { index: 2, state: 'pending' as const },
    ];
    expect(
      decide(facts({ waves, states: { ...allStaged, c: { state: 'verifying', switched: true } }, inFlight: new Set(['c']) })).waves,
    ).toEqual([]);
    expect(decide(facts({ waves, states: { ...allStaged, c: succeeded } })).waves).toEqual([{ index: 0, state: 'succeeded' }]);
  });

  it('awaits promotion after the canary wave with --pause-after-canary', () => {
    const waves = [
      { index: 0, state: 'running' as const },
      { index: 1, state: 'pending' as const },
      { index: 2, state: 'pending' as const },
    ];
    const d = decide(facts({ request: request({ pauseAfterCanary: true }), waves, states: { ...allStaged, c: succeeded } }));
    expect(d.campaign).toEqual({ state: 'awaiting-promotion', reason: 'canary wave done: waiting for promote' });
  });

  it('rolls back a failed canary and only then fails the campaign, skipping the rest', () => {
    const waves = [
      { index: 0, state: 'running' as const },
      { index: 1, state: 'pending' as const },
      { index: 2, state: 'pending' as const },
    ];
    const failedCanary = { state: 'failed' as const, switched: true, failed: true };
    const first = decide(facts({ waves, states: { ...allStaged, c: failedCanary } }));
    expect(first.start).toEqual([{ server: 'c', step: 'rollback' }]);
    expect(first.campaign).toBeUndefined();
    const after = decide(facts({ waves, states: { ...allStaged, c: { ...failedCanary, state: 'rolled-back' } } }));
    expect(after.campaign).toEqual({ state: 'failed', reason: 'the canary failed' });
    expect(after.skip).toEqual(['a', 'b', 'd']);
    expect(after.waves).toEqual([
      { index: 0, state: 'failed' },
      { index: 1, state: 'skipped' },
      { index: 2, state: 'skipped' },
    ]);
  });

  it('leaves a failed server as it is with --no-auto-rollback', () => {
    const waves = [
      { index: 0, state: 'running' as const },
      { index: 1, state: 'pending' as const },
      { index: 2, state: 'pending' as const },
    ];
    const d = decide(
      facts({
        request: request({ noAutoRollback: true }),
        waves,
        states: { ...allStaged, c: { state: 'failed', switched: true, failed: true } },
      }),
    );
    expect(d.start).toEqual([]);
    expect(d.campaign?.state).toBe('failed');
  });

  it('goes on past failures within --max-failures and halts beyond', () => {
    const waves = [
      { index: 0, state: 'succeeded' as const },
      { index: 1, state: 'running' as const },
      { index: 2, state: 'pending' as const },
    ];
    const failedA = { state: 'rolled-back' as const, switched: true, failed: true };
    const within = decide(facts({ request: request({ maxFailures: '1' }), waves, states: { ...allStaged, c: succeeded, a: failedA } }));
    expect(within.waves).toEqual([{ index: 1, state: 'failed' }]);
    expect(within.campaign).toBeUndefined();
    const beyond = decide(facts({ request: request({ maxFailures: '0' }), waves, states: { ...allStaged, c: succeeded, a: failedA } }));
    expect(beyond.campaign).toEqual({ state: 'failed', reason: 'failed servers over --max-failures' });
  });

  it('fails the campaign past its progress deadline once nothing is in flight', () => {
    const d = decide(facts({ request: request({ progressDeadline: '1m' }), now: secondsAfter(T0, 61), states: allStaged }));
    expect(d.campaign).toEqual({ state: 'failed', reason: 'progress deadline passed' });
  });

  it('counts the progress deadline from the last change, not from the start', () => {
    const progressed = facts({
      request: request({ progressDeadline: '1m' }),
      lastProgressAt: secondsAfter(T0, 3600),
      now: secondsAfter(T0, 3650),
      states: allStaged,
    });
    expect(decide(progressed).campaign).toBeUndefined();
    expect(decide({ ...progressed, now: secondsAfter(T0, 3661) }).campaign).toEqual({
      state: 'failed',
      reason: 'progress deadline passed',
    });
  });

  it('does not fail a campaign waiting for promote past its progress deadline', () => {
    const waves = [
      { index: 0, state: 'succeeded' as const },
      { index: 1, state: 'pending' as const },
      { index: 2, state: 'pending' as const },
    ];
    const d = decide(
      facts({
        state: 'awaiting-promotion',
        request: request({ progressDeadline: '1m' }),
        waves,
        now: secondsAfter(T0, 86_400),
        states: { ...allStaged, c: succeeded },
      }),
    );
    expect(d.campaign).toBeUndefined();
  });

  it('starts nothing new while paused but finishes what was cut short', () => {
    const d = decide(facts({ state: 'paused', states: { c: { state: 'switching', switched: true }, a: { state: 'pending' } } }));
    expect(d.start).toEqual([{ server: 'c', step: 'switch' }]);
    expect(d.waves).toEqual([]);
  });

  it('on abort rolls back every switched server and skips the others, then ends aborted', () => {
    const states = { c: succeeded, a: { state: 'verifying' as const, switched: true }, b: staged, d: { state: 'pending' as const } };
    const d = decide(facts({ state: 'aborting', states }));
    expect(d.start).toEqual([
      { server: 'a', step: 'rollback' },
      { server: 'c', step: 'rollback' },
    ]);
    expect(d.skip).toEqual(['b', 'd']);
    const done = decide(
      facts({
        state: 'aborting',
        states: { c: { state: 'rolled-back' }, a: { state: 'rolled-back' }, b: { state: 'skipped' }, d: { state: 'skipped' } },
      }),
    );
    expect(done.campaign?.state).toBe('aborted');
  });

  it('rolls every switched server of a finished campaign back, then ends rolled-back', () => {
    const states = {
      c: succeeded,
      a: succeeded,
      b: { state: 'rolled-back' as const, switched: true, failed: true },
      d: { state: 'skipped' as const },
    };
    const d = decide(facts({ state: 'rolling-back', states }));
    expect(d.start).toEqual([
      { server: 'c', step: 'rollback' },
      { server: 'a', step: 'rollback' },
    ]);
    const done = decide(facts({ state: 'rolling-back', states: { ...states, c: { state: 'rolled-back' }, a: { state: 'rolled-back' } } }));
    expect(done.campaign).toEqual({ state: 'rolled-back', reason: 'every switched server returned to its prior release' });
  });

  it('a removed server: its unfinished target is skipped and frees the name, a switched one is never rolled back, abort still ends', () => {
    const waves = [
      { index: 0, state: 'succeeded' as const },
      { index: 1, state: 'running' as const },
      { index: 2, state: 'pending' as const },
    ];
    const removed = { presence: 'removed' as const };
    const running = decide(facts({ waves, states: { ...allStaged, c: succeeded, a: { state: 'verifying', switched: true, ...removed } } }));
    expect(running.targets).toEqual([
      { server: 'a', state: 'skipped', reason: 'server removed from the inventory', offlineSince: null, releaseServer: true },
    ]);
    expect(running.start).toEqual([]);
    const failedRemoved = { state: 'failed' as const, switched: true, failed: true, ...removed };
    const noRollback = decide(
      facts({ request: request({ maxFailures: '1' }), waves, states: { ...allStaged, c: succeeded, a: failedRemoved } }),
    );
    expect(noRollback.start).toEqual([]);
    expect(noRollback.targets).toEqual([]);
    expect(noRollback.waves).toEqual([{ index: 1, state: 'failed' }]);
    const abort = decide(
      facts({
        state: 'aborting',
        states: { c: { state: 'rolled-back' }, a: failedRemoved, b: { state: 'skipped' }, d: { state: 'skipped' } },
      }),
    );
    expect(abort.start).toEqual([]);
    expect(abort.campaign?.state).toBe('aborted');
    const rollback = decide(
      facts({ state: 'rolling-back', states: { c: succeeded, a: { ...succeeded, ...removed }, b: staged, d: staged } }),
    );
    expect(rollback.start).toEqual([{ server: 'c', step: 'rollback' }]);
  });

  describe('offline servers (--offline)', () => {
    const waves = [
      { index: 0, state: 'succeeded' as const },
      { index: 1, state: 'succeeded' as const },
      { index: 2, state: 'running' as const },
    ];
    const offline = { presence: 'offline' as const };
    const since = (seconds: number) => ({ ...offline, offlineSince: secondsAfter(T0, seconds) });
    const now = secondsAfter(T0, 400);

    it('does not pre-stage an offline server of a later wave, and starts no wait for it', () => {
      const d = decide(facts({ states: { b: offline } }));
      expect(d.start).toEqual([
        { server: 'c', step: 'stage' },
        { server: 'a', step: 'stage' },
      ]);
      expect(decide(facts({ request: request({ maxParallel: 4 }), states: { b: offline } })).start.map((s) => s.server)).toEqual([
        'c',
        'a',
        'd',
      ]);
      expect(d.targets).toEqual([]);
    });

    it('starts waiting for an offline server its wave needs, once, and switches the others', () => {
      const states = { c: succeeded, a: succeeded, b: { ...staged, ...offline }, d: staged };
      const d = decide(facts({ waves, now, states }));
      expect(d.targets).toEqual([
        { server: 'b', state: 'staged', reason: 'waiting for the server to come back online', offlineSince: now },
      ]);
      expect(d.start).toEqual([{ server: 'd', step: 'switch' }]);
      expect(decide(facts({ waves, now, states: { ...states, b: { ...staged, ...since(300) } } })).targets).toEqual([]);
    });

    it('past --offline-wait: skip skips, fail fails, wait waits on; within it nothing changes', () => {
      const states = { c: succeeded, a: succeeded, b: { state: 'pending' as const, ...since(99) }, d: succeeded };
      const outcome = (policy: string, wait = '5m') =>
        decide(facts({ request: request({ offline: policy, offlineWait: policy === 'wait' ? '' : wait }), waves, now, states })).targets;
      expect(outcome('skip')).toEqual([
        { server: 'b', state: 'skipped', reason: 'server offline past --offline-wait: skipped (--offline skip)', offlineSince: null },
      ]);
      expect(outcome('fail')).toEqual([
        { server: 'b', state: 'failed', reason: 'server offline past --offline-wait (--offline fail)', offlineSince: null },
      ]);
      expect(outcome('wait')).toEqual([]);
      expect(outcome('skip', '6m')).toEqual([]);
    });

    it('an offline canary past --offline-wait fails even with skip', () => {
      const canaryWaves = [{ index: 0, state: 'running' as const }, ...waves.slice(1).map((w) => ({ ...w, state: 'pending' as const }))];
      const d = decide(facts({ waves: canaryWaves, now, states: { ...allStaged, c: { ...staged, ...since(0) } } }));
      expect(d.targets).toEqual([
        {
          server: 'c',
          state: 'failed',
          reason: 'canary server offline past --offline-wait: a canary is never skipped',
          offlineSince: null,
        },
      ]);
    });

    it('a campaign ending while a server is waited for skips it too', () => {
      const d = decide(
        facts({
          state: 'aborting',
          waves,
          now,
          states: { c: { state: 'rolled-back' }, a: succeeded, b: { state: 'pending', offlineSince: T0 }, d: staged },
        }),
      );
      expect(d.skip).toEqual(['b', 'd']);
      const halted = decide(
        facts({
          request: request({ progressDeadline: '1m' }),
          waves,
          now,
          states: { c: succeeded, a: succeeded, b: { state: 'pending', offlineSince: T0 }, d: succeeded },
        }),
      );
      expect(halted.campaign?.state).toBe('failed');
      expect(halted.skip).toEqual(['b']);
    });

    it('a server back online ends the wait and goes on the same pass', () => {
      const d = decide(facts({ waves, now, states: { c: succeeded, a: succeeded, b: { ...staged, offlineSince: T0 }, d: succeeded } }));
      expect(d.targets).toEqual([{ server: 'b', state: 'staged', reason: null, offlineSince: null }]);
      expect(d.start).toEqual([{ server: 'b', step: 'switch' }]);
    });
  });

  it('counts a percent failure budget rounded down', () => {
    expect(failureBudget({ percent: 10 }, 19)).toBe(1);
    expect(failureBudget({ percent: 10 }, 9)).toBe(0);
    expect(failureBudget({ count: 3 }, 2)).toBe(3);
  });
});
