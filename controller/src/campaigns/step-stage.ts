import { describeError } from '@wofleet/shared';
import { awaitOperation, currentRelease, operationFailure, retryUnreachable, stagedRelease } from './agent-calls.js';
import { KILL_POINT, killPoint } from './killpoints.js';
import type { Operation } from '@wofleet/proto';
import { TARGET_STATE, type CampaignPlan, type TargetState } from './model.js';
import { operationIdFor, skipReason, STAGE_ATTEMPTS, stageAttemptId, stepDeadline } from './policy-target.js';
import type { TargetPatch } from './repository.js';
import { isStopping, type TargetStepContext, type TargetStepRun } from './target-steps.js';

/**
 * pending|staging ──► staged | failed | skipped: records where rollback goes back to, then stages the release.
 *
 * `staging` commits while the agent is asked and stages, not before: each write waits its
 * turn in the campaign's group commit (0.1-0.5 s at 10,000 servers), which every stage
 * paid on top of its own time. Nothing depends on the order: a stage switches nothing, and
 * its id is fixed per target, so a controller that dies before the commit leaves the target
 * pending and the next one sends the same stage, which the agent answers with its first
 * outcome. A `staging` write refused (the server left the inventory since the pass that
 * started this step) ends the step without recording the outcome.
 */
export const stageTarget: TargetStepRun = async (ctx, target) => {
  const operationId = operationIdFor(ctx.campaignId, target.server, 'stage');
  const since = target.state === TARGET_STATE.pending ? ctx.waiting.clock.now() : target.updatedAt;
  const until = stepDeadline(since.getTime(), ctx.plan.request.healthyDeadlineMs);
  const recording =
    target.state === TARGET_STATE.pending
      ? ctx.writeTarget(TARGET_STATE.staging, { operationId }).then((written) => {
          if (written) killPoint(KILL_POINT.afterStagingRecorded);
          return written;
        })
      : Promise.resolve(true);
  // Awaited below; left unawaited when the step stops first.
  recording.catch(() => undefined);
  const outcome = await stageOutcome(ctx, operationId, until);
  if (!(await recording)) return;
  await ctx.writeTarget(outcome.state, outcome.patch);
  if (outcome.state === TARGET_STATE.staged) killPoint(KILL_POINT.afterStagedRecorded);
};

/** What the stage ended in, to be recorded; throws only when the step stops (isStopping). */
async function stageOutcome(
  ctx: TargetStepContext,
  operationId: string,
  until: number,
): Promise<{ state: TargetState; patch: TargetPatch }> {
  try {
    // Before anything is switched: where rollback goes back to.
    const from = await retryUnreachable(() => currentRelease(ctx.agent), ctx.waiting, until);
    const skip = skipReason(from, ctx.plan.release.version);
    if (skip !== undefined) return { state: TARGET_STATE.skipped, patch: { reason: skip } };
    const op = await stageOnAgent(ctx, operationId, until);
    if (op.state !== 'OPERATION_STATE_SUCCEEDED') {
      return { state: TARGET_STATE.failed, patch: { failedAt: ctx.waiting.clock.now(), reason: operationFailure(op) } };
    }
    const staged = stagedRelease(op);
    return {
      state: TARGET_STATE.staged,
      patch: {
        fromRelease: from?.id ?? null,
        fromVersion: from?.version ?? null,
        fromDbVersion: from?.dbVersion ?? null,
        toRelease: staged.id,
        toDbVersion: staged.dbVersion,
      },
    };
  } catch (err) {
    if (isStopping(ctx, err)) throw err;
    return { state: TARGET_STATE.failed, patch: { failedAt: ctx.waiting.clock.now(), reason: `stage: ${describeError(err)}` } };
  }
}

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
