import { describeError, NotFoundError, type Logger } from '@wofleet/shared';
import type { AgentApi } from '../agents/client.js';
import { SERVER_STATUS, type ServerStatus } from '../db/index.js';
import {
  awaitOperation,
  currentRelease,
  operationFailure,
  stagedRelease,
  pause,
  retryUnreachable,
  RunnerStoppedError,
  type Waiting,
} from './agent-calls.js';
import { KILL_POINT, killPoint } from './killpoints.js';
import { LeaseLostError } from './lease.js';
import { CAMPAIGN_STATE, TARGET_STATE, type CampaignPlan, type CampaignState, type TargetState } from './model.js';
import { REVERT_SUFFIX } from './policy.js';
import type { TargetPatch, TargetRow } from './store.js';
import { REASON } from './transitions.js';

/**
 * The four steps a campaign takes on one server, each from the state it finds the
 * target in (so a restarted controller resumes it) to the next settled state:
 *
 *   stage:    pending|staging  ──► staged | failed | skipped (already on the release)
 *   switch:   staged|switching ──► verifying | failed
 *   verify:   verifying        ──► succeeded | failed (or stays verifying when the campaign winds down)
 *   rollback: any switched     ──► rolled-back | rollback-failed
 *
 * Every agent call is preceded by a committed state carrying its operation id
 * (`c<campaign>-<server>-<step>`), so after a crash the same id is sent again and the
 * agent answers with the first outcome instead of doing the work twice.
 */
export interface TargetStepContext {
  campaignId: string;
  plan: CampaignPlan;
  agent: AgentApi;
  waiting: Waiting;
  /**
   * Writes a transition of this target under the campaign's lease, then publishes it.
   * False: not written, as a switch is refused once the campaign no longer runs.
   */
  writeTarget(state: TargetState, patch: TargetPatch): Promise<boolean>;
  campaignState(): Promise<CampaignState>;
  /** The server's presence as the servers table has it (heartbeats keep it). */
  serverStatus(): Promise<ServerStatus | undefined>;
  log: Logger;
}

export type TargetStepRun = (ctx: TargetStepContext, target: TargetRow) => Promise<void>;

export function operationIdFor(campaignId: string, server: string, step: 'stage' | 'activate' | 'rollback' | 'revert'): string {
  return step === 'revert' ? `c${campaignId}-${server}${REVERT_SUFFIX}` : `c${campaignId}-${server}-${step}`;
}

const deadlineFrom = (ctx: TargetStepContext, since: Date) => since.getTime() + ctx.plan.request.healthyDeadlineMs;

export const stageTarget: TargetStepRun = async (ctx, target) => {
  const operationId = operationIdFor(ctx.campaignId, target.server, 'stage');
  let since = target.updatedAt;
  if (target.state === TARGET_STATE.pending) {
    since = ctx.waiting.clock.now();
    await ctx.writeTarget(TARGET_STATE.staging, { operationId });
    killPoint(KILL_POINT.afterStagingRecorded);
  }
  const until = deadlineFrom(ctx, since);
  try {
    // Before anything is switched: where rollback goes back to.
    const from = await retryUnreachable(() => currentRelease(ctx.agent), ctx.waiting, until);
    if (from?.version === ctx.plan.release.version) {
      await ctx.writeTarget(TARGET_STATE.skipped, { reason: `already on ${from.version}` });
      return;
    }
    const [algorithm, hex] = ctx.plan.release.digest.split(':');
    const source = ctx.plan.release.url || ctx.plan.release.version;
    await retryUnreachable(
      () =>
        ctx.agent.stageRelease({ operationId, source, sha1: algorithm === 'sha1' ? hex : '', sha256: algorithm === 'sha256' ? hex : '' }),
      ctx.waiting,
      until,
    );
    const op = await awaitOperation(ctx.agent, operationId, ctx.waiting, until);
    if (op.state !== 'OPERATION_STATE_SUCCEEDED') {
      await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason: operationFailure(op) });
      return;
    }
    const staged = stagedRelease(op);
    await ctx.writeTarget(TARGET_STATE.staged, {
      fromRelease: from?.id ?? null,
      fromVersion: from?.version ?? null,
      fromDbVersion: from?.dbVersion ?? null,
      toRelease: staged.id,
      toDbVersion: staged.dbVersion,
    });
    killPoint(KILL_POINT.afterStagedRecorded);
  } catch (err) {
    if (isStopping(ctx, err)) throw err;
    await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason: `stage: ${describeError(err)}` });
  }
};

export const switchTarget: TargetStepRun = async (ctx, target) => {
  const operationId = operationIdFor(ctx.campaignId, target.server, 'activate');
  let since = target.updatedAt;
  if (target.state === TARGET_STATE.staged) {
    since = ctx.waiting.clock.now();
    // switched is set before the call: from here on the server may run the new release.
    if (!(await ctx.writeTarget(TARGET_STATE.switching, { operationId, switched: true }))) return;
  }
  killPoint(KILL_POINT.beforeActivate);
  const until = deadlineFrom(ctx, since);
  try {
    await retryUnreachable(() => ctx.agent.activate({ operationId, releaseId: target.toRelease ?? '' }), ctx.waiting, until);
    killPoint(KILL_POINT.afterActivateAccepted);
    const op = await awaitOperation(ctx.agent, operationId, ctx.waiting, until);
    if (op.state !== 'OPERATION_STATE_SUCCEEDED') {
      await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason: operationFailure(op) });
      return;
    }
    await ctx.writeTarget(TARGET_STATE.verifying, { verifyingSince: ctx.waiting.clock.now() });
    killPoint(KILL_POINT.afterVerifyingRecorded);
  } catch (err) {
    if (isStopping(ctx, err)) throw err;
    await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason: `activate: ${describeError(err)}` });
  }
};

/**
 * Health held for --min-healthy within --healthy-deadline of the switch: the agent's
 * CheckHealth says OK and presence does not say offline, poll after poll, the last
 * poll at the end of the hold. Any other answer (or none) starts the hold again. The
 * hold itself is not stored: after a restart it starts again, which only makes the
 * gate stricter.
 */
export const verifyTarget: TargetStepRun = async (ctx, target) => {
  const since = (target.verifyingSince ?? target.updatedAt).getTime();
  const { minHealthyMs, healthyDeadlineMs } = ctx.plan.request;
  let healthySince: number | undefined;
  let lastProblem: string = REASON.healthyDeadline;
  let killPointPassed = false;
  for (;;) {
    const state = await ctx.campaignState();
    if (state === CAMPAIGN_STATE.aborting || state === CAMPAIGN_STATE.rollingBack) return;
    const now = ctx.waiting.clock.now().getTime();
    if (now - since > healthyDeadlineMs) {
      await ctx.writeTarget(TARGET_STATE.failed, { failedAt: new Date(now), reason: `${REASON.healthyDeadline} (${lastProblem})` });
      return;
    }
    const problem = await healthProblem(ctx);
    if (problem) {
      healthySince = undefined;
      lastProblem = problem;
    } else {
      healthySince ??= now;
      if (now - healthySince >= minHealthyMs) {
        await ctx.writeTarget(TARGET_STATE.succeeded, { reason: null });
        killPoint(KILL_POINT.afterSucceededRecorded);
        return;
      }
    }
    if (!killPointPassed) {
      killPoint(KILL_POINT.duringVerifying);
      killPointPassed = true;
    }
    // While healthy, the last check falls exactly when the hold is complete, not at the next poll after it.
    const holdLeftMs = healthySince === undefined ? Infinity : healthySince + minHealthyMs - ctx.waiting.clock.now().getTime();
    await pause(ctx.waiting, Math.max(0, Math.min(ctx.waiting.pollMs, holdLeftMs)));
  }
};

async function healthProblem(ctx: TargetStepContext): Promise<string | undefined> {
  if ((await ctx.serverStatus()) === SERVER_STATUS.offline) return REASON.offline;
  try {
    const report = await ctx.agent.checkHealth();
    if (report.level === 'HEALTH_LEVEL_OK') return undefined;
    const bad = report.checks.find((c) => c.level !== 'HEALTH_LEVEL_OK');
    return `health ${report.level.replace('HEALTH_LEVEL_', '').toLowerCase()}${bad ? `: ${bad.name}: ${bad.detail}` : ''}`;
  } catch (err) {
    return describeError(err);
  }
}

/**
 * Back to the release recorded before the switch, restoring the DB snapshots when
 * the schema version differs. An activate that failed was reverted by the agent
 * itself: a server already on its prior release (and never sent this rollback) is
 * rolled back as it is.
 */
export const rollbackTarget: TargetStepRun = async (ctx, target) => {
  let operationId = target.operationId ?? '';
  let since = target.updatedAt;
  if (target.state !== TARGET_STATE.rollingBack) {
    const winding = (await ctx.campaignState()) === CAMPAIGN_STATE.rollingBack;
    operationId = operationIdFor(ctx.campaignId, target.server, winding ? 'revert' : 'rollback');
    since = ctx.waiting.clock.now();
    await ctx.writeTarget(TARGET_STATE.rollingBack, { operationId });
  }
  killPoint(KILL_POINT.beforeRollback);
  const until = deadlineFrom(ctx, since);
  try {
    const sent = await retryUnreachable(() => ctx.agent.getOperation(operationId).then(() => true, notFoundAsFalse), ctx.waiting, until);
    if (!sent) {
      const current = await retryUnreachable(() => currentRelease(ctx.agent), ctx.waiting, until);
      if (current?.id === target.fromRelease) {
        await ctx.writeTarget(TARGET_STATE.rolledBack, { reason: REASON.alreadyOnFrom });
        return;
      }
      const restoreDb = target.fromDbVersion !== null && target.toDbVersion !== null && target.fromDbVersion !== target.toDbVersion;
      await retryUnreachable(() => ctx.agent.rollback({ operationId, toRelease: target.fromRelease ?? '', restoreDb }), ctx.waiting, until);
    }
    killPoint(KILL_POINT.afterRollbackAccepted);
    const op = await awaitOperation(ctx.agent, operationId, ctx.waiting, until);
    if (op.state === 'OPERATION_STATE_SUCCEEDED') await ctx.writeTarget(TARGET_STATE.rolledBack, { reason: target.reason });
    else await ctx.writeTarget(TARGET_STATE.rollbackFailed, { reason: operationFailure(op) });
  } catch (err) {
    if (isStopping(ctx, err)) throw err;
    await ctx.writeTarget(TARGET_STATE.rollbackFailed, { reason: `rollback: ${describeError(err)}` });
  }
};

function notFoundAsFalse(err: unknown): false {
  if (err instanceof NotFoundError) return false;
  throw err;
}

/** A stopping runner or a lost lease leaves the target as Postgres has it, for whoever resumes. */
function isStopping(ctx: TargetStepContext, err: unknown): boolean {
  return ctx.waiting.signal.aborted || err instanceof RunnerStoppedError || err instanceof LeaseLostError;
}
