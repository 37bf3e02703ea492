import { describeError } from '@wofleet/shared';
import { AgentUnreachableError } from '../agents/client.js';
import { pause } from './agent-calls.js';
import { hasGateChecks } from './gate-checks.js';
import { KILL_POINT, killPoint } from './killpoints.js';
import { TARGET_STATE } from './model.js';
import {
  healthReportProblem,
  failedCallProblem,
  healthyDeadlineFailure,
  nextHealthCheckInMs,
  NEW_HOLD,
  oneLineReason,
  recordHealthCheck,
  stopsVerifying,
} from './policy-target.js';
import { REASON } from './transitions.js';
import type { TargetStepContext, TargetStepRun } from './target-steps.js';

/**
 * verifying ──► succeeded | failed. Health held for --min-healthy within
 * --healthy-deadline of the switch: the agent's deep CheckHealth says OK (every site's
 * serving proof passed: its front page rendered with theme and plugins on the new
 * release; asked even when presence says offline) and every external check of the campaign
 * passes, check after check (nextHealthCheckInMs: five over the hold, the last at its
 * end; every poll while not healthy). Any other answer (or none) starts the hold again.
 * The hold itself is not stored: after a restart it starts again, which only makes the
 * gate stricter.
 */
export const verifyTarget: TargetStepRun = async (ctx, target) => {
  const since = (target.verifyingSince ?? target.updatedAt).getTime();
  const { minHealthyMs, healthyDeadlineMs } = ctx.plan.request;
  let hold = NEW_HOLD;
  let killPointPassed = false;
  for (;;) {
    if (stopsVerifying(await ctx.recentCampaignState())) return;
    const now = ctx.waiting.clock.now().getTime();
    const failure = healthyDeadlineFailure(hold, since, now, healthyDeadlineMs);
    if (failure !== undefined) {
      await ctx.writeTarget(TARGET_STATE.failed, { failedAt: new Date(now), reason: failure });
      return;
    }
    const problem = await checkHealth(ctx);
    // Gone from the inventory: the pass ends the target, nothing is left to verify.
    if (problem === REASON.removedServer) return;
    const check = recordHealthCheck(hold, problem, now, minHealthyMs);
    if (problem !== undefined && hold.healthySince !== undefined)
      ctx.log.warn({ problem, healthyMs: now - hold.healthySince }, 'health hold broken: it starts again');
    hold = check.hold;
    if (check.held) {
      await ctx.writeTarget(TARGET_STATE.succeeded, { reason: null });
      killPoint(KILL_POINT.afterSucceededRecorded);
      return;
    }
    if (!killPointPassed) {
      killPoint(KILL_POINT.duringVerifying);
      killPointPassed = true;
    }
    await pause(ctx.waiting, nextHealthCheckInMs(hold, ctx.waiting.clock.now().getTime(), minHealthyMs, ctx.waiting.pollMs));
  }
};

/**
 * The agent's deep CheckHealth, then the external checks. The agent is asked even when
 * presence says the server is offline (its heartbeats may only not have been heard):
 * presence names the failure only when the agent cannot be reached either.
 */
async function checkHealth(ctx: TargetStepContext): Promise<string | undefined> {
  const server = await ctx.server();
  if (!server) return REASON.removedServer;
  try {
    // An agent upgrade: first the restarted agent must answer with the package's version.
    const expected = ctx.plan.agentPackage?.version;
    const reported = expected === undefined ? undefined : (await ctx.agent.getStatus()).agentVersion;
    if (reported !== expected) return `the agent reports wofleet-agent ${reported || '(no version)'}, not ${expected}`;
    const problem = healthReportProblem(await ctx.agent.checkHealth({ deep: true }));
    if (problem !== undefined) return problem;
  } catch (err) {
    return failedCallProblem(server.status, { unreachable: err instanceof AgentUnreachableError, error: describeError(err) });
  }
  const { checks } = ctx.plan.request;
  if (!hasGateChecks(checks)) return undefined;
  const target = { campaignId: ctx.campaignId, release: ctx.plan.release.version, server, sites: await ctx.sites() };
  const failure = await ctx.gate.run(checks, target, ctx.waiting.signal);
  return failure === undefined ? undefined : oneLineReason(failure);
}
