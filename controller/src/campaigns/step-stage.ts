import { describeError } from '@wofleet/shared';
import { awaitOperation, currentRelease, operationFailure, retryUnreachable, stagedRelease } from './agent-calls.js';
import { KILL_POINT, killPoint } from './killpoints.js';
import type { Operation } from '@wofleet/proto';
import { TARGET_STATE, type CampaignPlan } from './model.js';
import { operationIdFor, skipReason, STAGE_ATTEMPTS, stageAttemptId, stepDeadline } from './policy-target.js';
import { isStopping, type TargetStepContext, type TargetStepRun } from './target-steps.js';

/** pending|staging ──► staged | failed | skipped: records where rollback goes back to, then stages the release. */
export const stageTarget: TargetStepRun = async (ctx, target) => {
  const operationId = operationIdFor(ctx.campaignId, target.server, 'stage');
  const since = target.state === TARGET_STATE.pending ? ctx.waiting.clock.now() : target.updatedAt;
  const until = stepDeadline(since.getTime(), ctx.plan.request.healthyDeadlineMs);
  // Before anything is switched: where rollback goes back to. A query, so it is asked while
  // `staging` commits (each waits ~0.2-0.8 s at 10,000 servers); the stage itself only after.
  const reading = retryUnreachable(() => currentRelease(ctx.agent), ctx.waiting, until);
  // Read below; left unread when the write is refused.
  reading.catch(() => undefined);
  if (target.state === TARGET_STATE.pending) {
    // Refused: the server has left the inventory since the pass that started this step.
    if (!(await ctx.writeTarget(TARGET_STATE.staging, { operationId }))) return;
    killPoint(KILL_POINT.afterStagingRecorded);
  }
  try {
    const from = await reading;
    const skip = skipReason(from, ctx.plan.release.version);
    if (skip !== undefined) {
      await ctx.writeTarget(TARGET_STATE.skipped, { reason: skip });
      return;
    }
    const op = await stageOnAgent(ctx, operationId, until);
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

/**
 * Sends the stage and follows it. A stage the agent reports INTERRUPTED (the agent was
 * killed or restarted while staging; nothing is switched by a stage) is sent again under
 * the next attempt id, up to STAGE_ATTEMPTS in all. The ids are fixed per attempt, so a
 * controller that restarts mid-way re-sends them in order and each agent answers the ones
 * it already ran with their first outcome.
 */
async function stageOnAgent(ctx: TargetStepContext, operationId: string, until: number): Promise<Operation> {
  for (let attempt = 0; ; attempt++) {
    const id = stageAttemptId(operationId, attempt);
    await retryUnreachable(() => ctx.agent.stageRelease(stageRequest(ctx.plan, id)), ctx.waiting, until);
    const op = await awaitOperation(ctx.agent, id, ctx.waiting, until);
    if (op.state !== 'OPERATION_STATE_INTERRUPTED' || attempt + 1 >= STAGE_ATTEMPTS) return op;
    ctx.log.warn({ operationId: id }, 'stage interrupted on the agent: staging again');
  }
}

function stageRequest(plan: CampaignPlan, operationId: string) {
  return { operationId, source: plan.release.url || plan.release.version, digest: plan.release.digest };
}
