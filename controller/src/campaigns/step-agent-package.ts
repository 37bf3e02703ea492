import { describeError, StateError } from '@wofleet/shared';
import type { Operation } from '@wofleet/proto';
import type { AgentApi } from '../agents/client.js';
import { awaitOperation, operationFailure, pause, retryUnreachable, type Waiting } from './agent-calls.js';
import { TARGET_STATE, type AgentPackagePlan, type CampaignPlan } from './model.js';
import { operationIdFor, stepDeadline } from './policy-target.js';
import { beginRollback } from './step-rollback.js';
import { isStopping, type TargetStepContext, type TargetStepRun } from './target-steps.js';
import { verifyTarget } from './step-verify.js';

/**
 * The steps of `wofleet agents upgrade` on one server, the same four as a release's
 * (target-steps.ts) and driven by the same policy: canary first, waves, health gate,
 * failures, rollback.
 *
 *   stage:    pending|staging  ──► staged (records the version it runs: rollback goes there) | skipped | failed
 *   switch:   staged|switching ──► verifying | failed      InstallPackage: the agent restarts on the package
 *   verify:   verifying        ──► succeeded | failed      step-verify.ts: the agent reports the version, its sites healthy
 *   rollback: any switched     ──► rolled-back | rollback-failed   the previous package staged and installed again
 */

function packageOf(plan: CampaignPlan): AgentPackagePlan {
  if (!plan.agentPackage) throw new StateError('not an agent upgrade campaign');
  return plan.agentPackage;
}

export const stagePackageTarget: TargetStepRun = async (ctx, target) => {
  const pkg = packageOf(ctx.plan);
  const operationId = operationIdFor(ctx.campaignId, target.server, 'stage');
  let since = target.updatedAt;
  if (target.state === TARGET_STATE.pending) {
    since = ctx.waiting.clock.now();
    // Refused: the server has left the inventory since the pass that started this step.
    if (!(await ctx.writeTarget(TARGET_STATE.staging, { operationId }))) return;
  }
  const until = stepDeadline(since.getTime(), ctx.plan.request.healthyDeadlineMs);
  try {
    const from = (await retryUnreachable(() => ctx.agent.getStatus(), ctx.waiting, until)).agentVersion;
    if (from === pkg.version) {
      await ctx.writeTarget(TARGET_STATE.skipped, { reason: `already runs wofleet-agent ${pkg.version}` });
      return;
    }
    const rollbackSha = pkg.rollback[from];
    if (rollbackSha === undefined) {
      const reason = `runs wofleet-agent ${from || '(no version)'}, whose package the controller does not hold: it could not be rolled back`;
      await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason });
      return;
    }
    const op = await runOperation(
      ctx,
      () => ctx.agent.stagePackage({ operationId, version: pkg.version, sha256: pkg.sha256 }),
      operationId,
      until,
    );
    if (op.state !== 'OPERATION_STATE_SUCCEEDED') {
      await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason: operationFailure(op) });
      return;
    }
    await ctx.writeTarget(TARGET_STATE.staged, { fromRelease: from, fromVersion: from, toRelease: pkg.version });
  } catch (err) {
    if (isStopping(ctx, err)) throw err;
    await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason: `stage package: ${describeError(err)}` });
  }
};

export const installPackageTarget: TargetStepRun = async (ctx, target) => {
  const pkg = packageOf(ctx.plan);
  const operationId = operationIdFor(ctx.campaignId, target.server, 'activate');
  let since = target.updatedAt;
  if (target.state === TARGET_STATE.staged) {
    since = ctx.waiting.clock.now();
    if (!(await ctx.writeTarget(TARGET_STATE.switching, { operationId, switched: true }))) return;
  }
  const until = stepDeadline(since.getTime(), ctx.plan.request.healthyDeadlineMs);
  try {
    const op = await runOperation(ctx, () => ctx.agent.installPackage({ operationId, version: pkg.version }), operationId, until);
    if (op.state !== 'OPERATION_STATE_SUCCEEDED') {
      await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason: operationFailure(op) });
      return;
    }
    await ctx.writeTarget(TARGET_STATE.verifying, { verifyingSince: ctx.waiting.clock.now() });
  } catch (err) {
    if (isStopping(ctx, err)) throw err;
    await ctx.writeTarget(TARGET_STATE.failed, { failedAt: ctx.waiting.clock.now(), reason: `install package: ${describeError(err)}` });
  }
};

export const rollbackPackageTarget: TargetStepRun = async (ctx, target) => {
  const pkg = packageOf(ctx.plan);
  const begun = await beginRollback(ctx, target);
  if (!begun) return;
  const { operationId, since } = begun;
  const until = stepDeadline(since.getTime(), ctx.plan.request.healthyDeadlineMs);
  const back = target.fromVersion ?? '';
  const sha256 = pkg.rollback[back];
  try {
    if (sha256 === undefined) throw new StateError(`no package of wofleet-agent ${back || '(unknown)'} to go back to`);
    if (!(await reportsVersion(ctx.agent, back))) {
      const stage = `${operationId}-stage`;
      const staged = await runOperation(ctx, () => ctx.agent.stagePackage({ operationId: stage, version: back, sha256 }), stage, until);
      const install =
        staged.state === 'OPERATION_STATE_SUCCEEDED'
          ? await runOperation(ctx, () => ctx.agent.installPackage({ operationId, version: back }), operationId, until)
          : staged;
      if (install.state !== 'OPERATION_STATE_SUCCEEDED') {
        await ctx.writeTarget(TARGET_STATE.rollbackFailed, { reason: operationFailure(install) });
        return;
      }
      await awaitVersion(ctx.agent, back, ctx.waiting, until);
    }
    await ctx.writeTarget(TARGET_STATE.rolledBack, { reason: target.reason });
  } catch (err) {
    if (isStopping(ctx, err)) throw err;
    await ctx.writeTarget(TARGET_STATE.rollbackFailed, { reason: `rollback to wofleet-agent ${back}: ${describeError(err)}` });
  }
};

/** Sends a mutation (again while the agent cannot be reached: it is idempotent by id) and follows it to its end. */
async function runOperation(
  ctx: TargetStepContext,
  send: () => Promise<Operation>,
  operationId: string,
  until: number,
): Promise<Operation> {
  await retryUnreachable(send, ctx.waiting, until);
  return awaitOperation(ctx.agent, operationId, ctx.waiting, until);
}

async function reportsVersion(agent: AgentApi, version: string): Promise<boolean> {
  return agent.getStatus().then(
    (status) => status.agentVersion === version,
    () => false,
  );
}

/** Until the restarted agent reports `version`; past `until`, a StateError naming what it reports. */
async function awaitVersion(agent: AgentApi, version: string, waiting: Waiting, until: number): Promise<void> {
  while (!(await reportsVersion(agent, version))) {
    if (waiting.clock.now().getTime() >= until)
      throw new StateError(`the agent does not report wofleet-agent ${version} after the install`);
    await pause(waiting);
  }
}

/** The agent-upgrade campaign's steps, by the step the policy decided. */
export const AGENT_PACKAGE_STEPS = {
  stage: stagePackageTarget,
  switch: installPackageTarget,
  verify: verifyTarget,
  rollback: rollbackPackageTarget,
} as const;
