import { describeError } from '@wofleet/shared';
import { awaitOperation, currentRelease, operationFailure, retryUnreachable, stagedRelease } from './agent-calls.js';
import { KILL_POINT, killPoint } from './killpoints.js';
import { TARGET_STATE, type CampaignPlan } from './model.js';
import { operationIdFor, skipReason, stepDeadline } from './policy-target.js';
import { isStopping, type TargetStepRun } from './target-steps.js';

/** pending|staging ──► staged | failed | skipped: records where rollback goes back to, then stages the release. */
export const stageTarget: TargetStepRun = async (ctx, target) => {
  const operationId = operationIdFor(ctx.campaignId, target.server, 'stage');
  let since = target.updatedAt;
  if (target.state === TARGET_STATE.pending) {
    since = ctx.waiting.clock.now();
    await ctx.writeTarget(TARGET_STATE.staging, { operationId });
    killPoint(KILL_POINT.afterStagingRecorded);
  }
  const until = stepDeadline(since.getTime(), ctx.plan.request.healthyDeadlineMs);
  try {
    // Before anything is switched: where rollback goes back to.
    const from = await retryUnreachable(() => currentRelease(ctx.agent), ctx.waiting, until);
    const skip = skipReason(from, ctx.plan.release.version);
    if (skip !== undefined) {
      await ctx.writeTarget(TARGET_STATE.skipped, { reason: skip });
      return;
    }
    await retryUnreachable(() => ctx.agent.stageRelease(stageRequest(ctx.plan, operationId)), ctx.waiting, until);
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

function stageRequest(plan: CampaignPlan, operationId: string) {
  return { operationId, source: plan.release.url || plan.release.version, digest: plan.release.digest };
}
