import { describeError } from '@wofleet/shared';
import { awaitOperation, operationFailure, retryUnreachable } from './agent-calls.js';
import { KILL_POINT, killPoint } from './killpoints.js';
import { TARGET_STATE } from './model.js';
import { canarySiteFor, operationIdFor, stepDeadline } from './policy-target.js';
import { isStopping, type TargetStepRun } from './target-steps.js';
import { verifyTarget } from './step-verify.js';

/**
 * staged|switching ──► verifying | failed: points the server at the staged release, then
 * goes straight on to its health hold (step-verify.ts) in the same step: a pass in between
 * would only start the hold later, and each switch of a wave waited for one.
 */
export const switchTarget: TargetStepRun = async (ctx, target) => {
  const operationId = operationIdFor(ctx.campaignId, target.server, 'activate');
  let since = target.updatedAt;
  if (target.state === TARGET_STATE.staged) {
    since = ctx.waiting.clock.now();
    // switched is set before the call: from here on the server may run the new release.
    if (!(await ctx.writeTarget(TARGET_STATE.switching, { operationId, switched: true }))) return;
  }
  killPoint(KILL_POINT.beforeActivate);
  const until = stepDeadline(since.getTime(), ctx.plan.request.healthyDeadlineMs);
  let verifyingSince: Date | undefined;
  try {
    const request = { operationId, releaseId: target.toRelease ?? '', canarySite: canarySiteFor(ctx.plan, target.server) };
    await retryUnreachable(() => ctx.agent.activate(request), ctx.waiting, until);
    killPoint(KILL_POINT.afterActivateAccepted);
    const op = await awaitOperation(ctx.agent, operationId, ctx.waiting, until);
    if (op.state !== 'OPERATION_STATE_SUCCEEDED') {
      await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason: operationFailure(op) });
      return;
    }
    const at = ctx.waiting.clock.now();
    if (await ctx.writeTarget(TARGET_STATE.verifying, { verifyingSince: at })) verifyingSince = at;
    killPoint(KILL_POINT.afterVerifyingRecorded);
  } catch (err) {
    if (isStopping(ctx, err)) throw err;
    await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason: `activate: ${describeError(err)}` });
  }
  if (verifyingSince)
    await verifyTarget(ctx, { ...target, state: TARGET_STATE.verifying, switched: true, verifyingSince, updatedAt: verifyingSince });
};
