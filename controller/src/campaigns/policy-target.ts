import { AUTO_CANARY_SITE, CAMPAIGN_STATE, TARGET_STATE, type CampaignPlan, type CampaignState, type TargetState } from './model.js';
import { REASON } from './transitions.js';

/**
 * The rules of one target's steps as pure functions (no I/O): the steps in
 * step-*.ts ask these, then make the agent calls and writes they decide on.
 * policy.ts decides which step a target takes; this module, how each step judges
 * what it finds.
 */

/** The suffix of the operation id the campaign-wide rollback sends (policy rollbacks send `-rollback`). */
export const REVERT_SUFFIX = '-revert';

export type OperationStep = 'stage' | 'activate' | 'rollback' | 'revert';

/** `c<campaign>-<server>-<step>`: the same id after a restart, so the agent answers with the first outcome. */
export function operationIdFor(campaignId: string, server: string, step: OperationStep): string {
  return step === 'revert' ? `c${campaignId}-${server}${REVERT_SUFFIX}` : `c${campaignId}-${server}-${step}`;
}

/** How many times a stage the agent reports interrupted is sent in all (a stage switches nothing, so it is safe to repeat). */
export const STAGE_ATTEMPTS = 3;

/** The operation id of a stage's attempt: the step's own id first, then `-r1`, `-r2`. */
export function stageAttemptId(operationId: string, attempt: number): string {
  return attempt === 0 ? operationId : `${operationId}-r${attempt}`;
}

/** Agent calls of a step give up (unreachable, no outcome) at the healthy deadline from when the step began. */
export function stepDeadline(sinceMs: number, healthyDeadlineMs: number): number {
  return sinceMs + healthyDeadlineMs;
}

/**
 * Activate's canary_site for one server: the `--canary-site` domain on the servers
 * holding it; empty (the agent picks, as for `auto`) on every other server. Empty
 * rather than "auto": agents from before canary-site selection accept only empty or a domain.
 */
export function canarySiteFor(plan: Pick<CampaignPlan, 'request' | 'canarySiteServers'>, server: string): string {
  return plan.request.canarySite !== AUTO_CANARY_SITE && plan.canarySiteServers.includes(server) ? plan.request.canarySite : '';
}

/** A server already running the campaign's release is not staged nor switched: it is skipped. */
export function skipReason(current: { version: string } | undefined, releaseVersion: string): string | undefined {
  return current?.version === releaseVersion ? `already on ${current.version}` : undefined;
}

/**
 * Whether a target transition may be written given the campaign's state at write time:
 * a switch starts only while the campaign runs (the operator may have paused it since
 * the pass that started the step); every other transition records what happened.
 */
export function mayRecordTargetState(state: TargetState, campaignState: CampaignState): boolean {
  return state !== TARGET_STATE.switching || campaignState === CAMPAIGN_STATE.running;
}

/** Verification stops (the target stays verifying) once the campaign winds down: its rollback takes over. */
export function stopsVerifying(campaignState: CampaignState): boolean {
  return campaignState === CAMPAIGN_STATE.aborting || campaignState === CAMPAIGN_STATE.rollingBack;
}

/** The health hold in progress: when it began (undefined: not healthy now) and the last problem seen. */
export interface HealthHold {
  healthySince: number | undefined;
  lastProblem: string;
}

export const NEW_HOLD: HealthHold = { healthySince: undefined, lastProblem: 'no health check answered' };

/**
 * The failure reason once the healthy deadline (from `sinceMs`) has passed, else undefined:
 * with the last problem seen, or, for a server healthy at the end, how long it had been
 * (a deep check slower than the deadline allows for shows as this, seen on an overloaded host).
 */
export function healthyDeadlineFailure(hold: HealthHold, sinceMs: number, nowMs: number, healthyDeadlineMs: number): string | undefined {
  if (nowMs - sinceMs <= healthyDeadlineMs) return undefined;
  const detail =
    hold.healthySince === undefined
      ? hold.lastProblem
      : `healthy for the last ${((nowMs - hold.healthySince) / 1000).toFixed(1)} s, the hold not complete`;
  return `${REASON.healthyDeadline} (${detail})`;
}

/**
 * One health check into the hold: a problem starts it again; health held for
 * `minHealthyMs` since it began completes it (`held`).
 */
export function recordHealthCheck(
  hold: HealthHold,
  problem: string | undefined,
  nowMs: number,
  minHealthyMs: number,
): { hold: HealthHold; held: boolean } {
  if (problem !== undefined) return { hold: { healthySince: undefined, lastProblem: problem }, held: false };
  const healthySince = hold.healthySince ?? nowMs;
  return { hold: { ...hold, healthySince }, held: nowMs - healthySince >= minHealthyMs };
}

/** A healthy hold is asked about this many times over --min-healthy, besides the check at its end. */
const HOLD_CHECKS = 5;
/** ...but at least this often, however long the hold. */
const MAX_HOLD_CHECK_INTERVAL_MS = 10_000;

/**
 * When to ask again. A deep check renders every site's front page on the server, so a healthy
 * hold asks HOLD_CHECKS times over --min-healthy (every poll at most, every 10 s at least), the
 * last check exactly when the hold is complete; not healthy, every poll, so that the hold starts
 * as soon as the server is.
 */
export function nextHealthCheckInMs(hold: HealthHold, nowMs: number, minHealthyMs: number, pollMs: number): number {
  if (hold.healthySince === undefined) return pollMs;
  const intervalMs = Math.max(pollMs, Math.min(MAX_HOLD_CHECK_INTERVAL_MS, minHealthyMs / HOLD_CHECKS));
  return Math.max(0, Math.min(intervalMs, hold.healthySince + minHealthyMs - nowMs));
}

/**
 * A health check whose agent call failed. Presence is a hint, not a verdict: a server
 * it says is offline is still asked directly, and is "server offline" only when its
 * agent cannot be reached either; otherwise the call's own error is the problem.
 */
export function failedCallProblem(presence: string | undefined, call: { unreachable: boolean; error: string }): string {
  return presence === 'offline' && call.unreachable ? REASON.offline : call.error;
}

/** A target's reason is one line of at most this many characters. */
export const MAX_REASON_CHARS = 300;

/** Text from an agent or a check as one bounded line: white space runs collapsed, control characters shown as '?'. */
export function oneLineReason(text: string): string {
  const line = text
    .replace(/\s+/g, ' ')
    .replace(/[\x00-\x1f\x7f]/g, '?')
    .trim();
  return line.length > MAX_REASON_CHARS ? `${line.slice(0, MAX_REASON_CHARS - 3)}...` : line;
}

/**
 * What a deep CheckHealth answer says is wrong, undefined when healthy. A failed
 * serving proof comes first, naming its site and, when the agent could tell, the
 * plugin or theme to blame.
 */
export function healthReportProblem(report: {
  level: string;
  checks: ReadonlyArray<{ name: string; level: string; detail: string }>;
  proofs: ReadonlyArray<{ site: string; ok: boolean; culprit: string; error: string }>;
}): string | undefined {
  const failed = report.proofs.filter((p) => !p.ok);
  const [first] = failed;
  if (first) {
    const others = failed.length > 1 ? ` (and ${failed.length - 1} more site${failed.length > 2 ? 's' : ''})` : '';
    const culprit = first.culprit ? ` [${first.culprit}]` : '';
    return oneLineReason(`site ${first.site} does not serve${culprit}${others}: ${first.error || 'serving proof failed'}`);
  }
  if (report.level === 'HEALTH_LEVEL_OK') return undefined;
  const bad = report.checks.find((c) => c.level !== 'HEALTH_LEVEL_OK');
  return oneLineReason(`health ${report.level.replace('HEALTH_LEVEL_', '').toLowerCase()}${bad ? `: ${bad.name}: ${bad.detail}` : ''}`);
}

/** The campaign-wide rollback sends `-revert`, a policy or abort rollback `-rollback` (policy.ts retries tell them apart). */
export function rollbackStep(campaignState: CampaignState): 'rollback' | 'revert' {
  return campaignState === CAMPAIGN_STATE.rollingBack ? 'revert' : 'rollback';
}

/** The DB snapshots are restored only when the switch changed the schema version. */
export function restoresDb(target: { fromDbVersion: number | null; toDbVersion: number | null }): boolean {
  return target.fromDbVersion !== null && target.toDbVersion !== null && target.fromDbVersion !== target.toDbVersion;
}

/**
 * A rollback never sent finds the server already on its prior release (the agent
 * reverted a failed activate itself): rolled back as it is, with this reason.
 */
export function alreadyRolledBack(current: { id: string } | undefined, fromRelease: string | null): string | undefined {
  return current !== undefined && current.id === fromRelease ? REASON.alreadyOnFrom : undefined;
}
