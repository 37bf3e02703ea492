import { describeError, NotFoundError } from '@wofleet/shared';
import { awaitOperation, currentRelease, operationFailure, retryUnreachable } from './agent-calls.js';
import { KILL_POINT, killPoint } from './killpoints.js';
import { TARGET_STATE } from './model.js';
import { alreadyRolledBack, operationIdFor, restoresDb, rollbackStep, stepDeadline } from './policy-target.js';
import type { TargetRow } from './repository.js';
import { isStopping, type TargetStepContext, type TargetStepRun } from './target-steps.js';

/**
 * any switched ──► rolled-back | rollback-failed. Back to the release recorded before
 * the switch, restoring the DB snapshots when the schema version differs. An activate
 * that failed was reverted by the agent itself: a server already on its prior release
 * (and never sent this rollback) is rolled back as it is.
 */
export const rollbackTarget: TargetStepRun = async (ctx, target) => {
  const begun = await beginRollback(ctx, target);
  if (!begun) return;
  const { operationId, since } = begun;
  killPoint(KILL_POINT.beforeRollback);
  const until = stepDeadline(since.getTime(), ctx.plan.request.healthyDeadlineMs);
  try {
    const sent = await retryUnreachable(() => ctx.agent.getOperation(operationId).then(() => true, notFoundAsFalse), ctx.waiting, until);
    if (!sent) {
      const already = alreadyRolledBack(await retryUnreachable(() => currentRelease(ctx.agent), ctx.waiting, until), target.fromRelease);
      if (already !== undefined) {
        // Keep why the target failed (not why an earlier rollback did): `rollout status` shows this one line.
        const why = target.state === TARGET_STATE.rollbackFailed ? undefined : target.reason;
        await ctx.writeTarget(TARGET_STATE.rolledBack, { reason: why ? `${why}; ${already}` : already });
        return;
      }
      await retryUnreachable(
        () => ctx.agent.rollback({ operationId, toRelease: target.fromRelease ?? '', restoreDb: restoresDb(target) }),
        ctx.waiting,
        until,
      );
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

/**
 * The target marked rolling back under a new operation id, or the one it already has (a
 * rollback resumed): the id to send, and since when it rolls back (its deadline counts
 * from it). Undefined when the write is refused: the server has left the inventory since
 * the pass that started the step, and nothing is sent to it.
 */
export async function beginRollback(ctx: TargetStepContext, target: TargetRow): Promise<{ operationId: string; since: Date } | undefined> {
  if (target.state === TARGET_STATE.rollingBack) return { operationId: target.operationId ?? '', since: target.updatedAt };
  const operationId = operationIdFor(ctx.campaignId, target.server, rollbackStep(await ctx.campaignState()));
  const since = ctx.waiting.clock.now();
  return (await ctx.writeTarget(TARGET_STATE.rollingBack, { operationId })) ? { operationId, since } : undefined;
}
