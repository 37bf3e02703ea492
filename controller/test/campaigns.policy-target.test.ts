import { describe, expect, it } from 'vitest';
import { CAMPAIGN_STATE, TARGET_STATE, WAVE_STATE, type CampaignState, type TargetState } from '../src/campaigns/index.js';
import {
  alreadyRolledBack,
  healthReportProblem,
  healthyDeadlineFailure,
  mayRecordTargetState,
  NEW_HOLD,
  nextHealthCheckInMs,
  operationIdFor,
  failedCallProblem,
  recordHealthCheck,
  restoresDb,
  rollbackStep,
  skipReason,
  stepDeadline,
  stopsVerifying,
  type HealthHold,
} from '../src/campaigns/policy-target.js';
import { CAMPAIGN_STATES, TARGET_STATES, WAVE_STATES } from '../src/db/schema/campaigns.js';

/** The per-target rules of the steps, as tables (no I/O: policy-target.ts is pure). */
describe('per-target policy', () => {
  it.each([
    ['stage', 'c42-web-1-stage'],
    ['activate', 'c42-web-1-activate'],
    ['rollback', 'c42-web-1-rollback'],
    ['revert', 'c42-web-1-revert'],
  ] as const)('operation id of %s: %s', (step, id) => {
    expect(operationIdFor('42', 'web-1', step)).toBe(id);
  });

  it('agent calls of a step give up at the healthy deadline from its start', () => {
    expect(stepDeadline(1_000, 30_000)).toBe(31_000);
  });

  it.each<[{ version: string } | undefined, string | undefined]>([
    [{ version: '6.5.5' }, 'already on 6.5.5'],
    [{ version: '6.4.5' }, undefined],
    [undefined, undefined],
  ])('skip if already on the release: current %j -> %s', (current, reason) => {
    expect(skipReason(current, '6.5.5')).toBe(reason);
  });

  it.each<[TargetState, CampaignState, boolean]>([
    [TARGET_STATE.switching, CAMPAIGN_STATE.running, true],
    [TARGET_STATE.switching, CAMPAIGN_STATE.paused, false],
    [TARGET_STATE.switching, CAMPAIGN_STATE.awaitingPromotion, false],
    [TARGET_STATE.switching, CAMPAIGN_STATE.aborting, false],
    [TARGET_STATE.verifying, CAMPAIGN_STATE.paused, true],
    [TARGET_STATE.failed, CAMPAIGN_STATE.aborting, true],
    [TARGET_STATE.staged, CAMPAIGN_STATE.paused, true],
  ])('no switch unless running: %s while the campaign is %s -> %s', (state, campaign, allowed) => {
    expect(mayRecordTargetState(state, campaign)).toBe(allowed);
  });

  it.each<[CampaignState, boolean]>([
    [CAMPAIGN_STATE.running, false],
    [CAMPAIGN_STATE.paused, false],
    [CAMPAIGN_STATE.awaitingPromotion, false],
    [CAMPAIGN_STATE.aborting, true],
    [CAMPAIGN_STATE.rollingBack, true],
  ])('verification stops once the campaign is %s: %s', (state, stops) => {
    expect(stopsVerifying(state)).toBe(stops);
  });

  it.each<[string, HealthHold, number, string | undefined]>([
    ['within the deadline', NEW_HOLD, 30_000, undefined],
    [
      'past it, never checked',
      NEW_HOLD,
      30_001,
      'not healthy for the min healthy time within the healthy deadline (no health check answered)',
    ],
    [
      'past it, healthy but the hold not complete',
      { healthySince: 22_500, lastProblem: 'server offline' },
      30_001,
      'not healthy for the min healthy time within the healthy deadline (healthy for the last 7.5 s, the hold not complete)',
    ],
    [
      'past it, after a problem',
      { healthySince: undefined, lastProblem: 'server offline' },
      30_001,
      'not healthy for the min healthy time within the healthy deadline (server offline)',
    ],
  ])('healthy deadline %s', (_what, hold, nowMs, failure) => {
    expect(healthyDeadlineFailure(hold, 0, nowMs, 30_000)).toBe(failure);
  });

  it.each<[string, HealthHold, string | undefined, number, HealthHold, boolean]>([
    ['first healthy check starts the hold', NEW_HOLD, undefined, 1_000, { ...NEW_HOLD, healthySince: 1_000 }, false],
    ['healthy short of min healthy', { ...NEW_HOLD, healthySince: 1_000 }, undefined, 3_999, { ...NEW_HOLD, healthySince: 1_000 }, false],
    ['healthy for min healthy: held', { ...NEW_HOLD, healthySince: 1_000 }, undefined, 4_000, { ...NEW_HOLD, healthySince: 1_000 }, true],
    [
      'a problem starts it again',
      { ...NEW_HOLD, healthySince: 1_000 },
      'health unhealthy',
      3_000,
      { healthySince: undefined, lastProblem: 'health unhealthy' },
      false,
    ],
  ])('verify hold: %s', (_what, hold, problem, nowMs, next, held) => {
    expect(recordHealthCheck(hold, problem, nowMs, 3_000)).toEqual({ hold: next, held });
  });

  it.each<[string, HealthHold, number, number, number]>([
    ['not healthy: the next poll', NEW_HOLD, 5_000, 3_000, 1_000],
    ['not healthy, long hold: still the next poll', NEW_HOLD, 5_000, 600_000, 1_000],
    ['healthy, 3 s hold: every poll (a fifth of it is shorter)', { ...NEW_HOLD, healthySince: 5_000 }, 5_000, 3_000, 1_000],
    ['healthy, 10 s hold: a fifth of it', { ...NEW_HOLD, healthySince: 5_000 }, 5_000, 10_000, 2_000],
    ['healthy, 30 s hold: a fifth of it', { ...NEW_HOLD, healthySince: 5_000 }, 11_000, 30_000, 6_000],
    ['healthy, 10 min hold: at most 10 s', { ...NEW_HOLD, healthySince: 5_000 }, 5_000, 600_000, 10_000],
    ['healthy, hold ends before the next check: at its end', { ...NEW_HOLD, healthySince: 5_000 }, 7_600, 3_000, 400],
    ['healthy, 30 s hold ending in 1.5 s: at its end', { ...NEW_HOLD, healthySince: 5_000 }, 33_500, 30_000, 1_500],
    ['healthy, hold already complete: at once', { ...NEW_HOLD, healthySince: 5_000 }, 9_000, 3_000, 0],
  ])('next health check: %s', (_what, hold, nowMs, minHealthyMs, waitMs) => {
    expect(nextHealthCheckInMs(hold, nowMs, minHealthyMs, 1_000)).toBe(waitMs);
  });

  it.each<[string | undefined, boolean, string]>([
    ['offline', true, 'server offline'],
    ['offline', false, 'agent error'],
    ['online', true, 'agent error'],
    ['degraded', true, 'agent error'],
    [undefined, true, 'agent error'],
  ])('a failed health call on a server presence says is %s (unreachable: %s) -> %s', (status, unreachable, problem) => {
    expect(failedCallProblem(status, { unreachable, error: 'agent error' })).toBe(problem);
  });

  it.each([
    [{ level: 'HEALTH_LEVEL_OK', checks: [], proofs: [] }, undefined],
    [
      {
        level: 'HEALTH_LEVEL_UNHEALTHY',
        checks: [{ name: 'sites', level: 'HEALTH_LEVEL_UNHEALTHY', detail: 'answers 503' }],
        proofs: [],
      },
      'health unhealthy: sites: answers 503',
    ],
    [{ level: 'HEALTH_LEVEL_DEGRADED', checks: [], proofs: [] }, 'health degraded'],
  ])('health report %j -> %s', (report, problem) => {
    expect(healthReportProblem(report)).toBe(problem);
  });

  it.each<[CampaignState, string]>([
    [CAMPAIGN_STATE.rollingBack, 'revert'],
    [CAMPAIGN_STATE.aborting, 'rollback'],
    [CAMPAIGN_STATE.running, 'rollback'],
  ])('a rollback while the campaign is %s sends -%s', (state, step) => {
    expect(rollbackStep(state)).toBe(step);
  });

  it.each<[number | null, number | null, boolean]>([
    [56657, 57155, true],
    [57155, 57155, false],
    [null, 57155, false],
    [56657, null, false],
  ])('restore the DB from %s after %s: %s', (fromDbVersion, toDbVersion, restore) => {
    expect(restoresDb({ fromDbVersion, toDbVersion })).toBe(restore);
  });

  it.each<[{ id: string } | undefined, string | null, string | undefined]>([
    [{ id: 'wp-6.4.5' }, 'wp-6.4.5', 'already on its prior release: nothing to roll back'],
    [{ id: 'wp-6.5.5' }, 'wp-6.4.5', undefined],
    [undefined, null, undefined],
    [{ id: 'wp-6.4.5' }, null, undefined],
  ])('a rollback never sent, current %j, prior %s -> %s', (current, fromRelease, reason) => {
    expect(alreadyRolledBack(current, fromRelease)).toBe(reason);
  });
});

describe('the schema and the model name the same states', () => {
  it.each([
    ['campaign', CAMPAIGN_STATES, CAMPAIGN_STATE],
    ['wave', WAVE_STATES, WAVE_STATE],
    ['target', TARGET_STATES, TARGET_STATE],
  ])('%s states', (_what, schema, model) => {
    expect([...schema].sort()).toEqual(Object.values(model).sort());
  });
});
