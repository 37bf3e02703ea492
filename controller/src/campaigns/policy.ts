import {
  CAMPAIGN_STATE,
  isTerminalTargetState,
  OFFLINE_POLICY,
  TARGET_STATE,
  WAVE_STATE,
  type CampaignRequest,
  type CampaignState,
  type FailureBudget,
  type TargetState,
  type WaveState,
} from './model.js';
import { rollsBackOnCampaignRollback } from './policy-rollback-db.js';
import { REASON } from './transitions.js';

/**
 * The campaign's decisions as a pure function of what Postgres says plus the
 * runner's in-flight set and the time (no I/O): which campaign and wave transitions
 * to write, which targets to skip, which target steps to start. The runner applies
 * them and asks again on its next pass; it keeps no progress of its own, so a
 * restarted controller decides from the same facts.
 *
 * Failure policy (DESIGN §6, issue #6):
 * - a failed canary (wave 0) halts the campaign; nothing beyond it is switched;
 * - failed servers beyond --max-failures halt it; within, the campaign goes on;
 * - the progress deadline halts it;
 * - halting starts no new server, waits for the ones in flight and for the failed
 *   ones' rollbacks (with auto rollback), then fails the campaign, skipping the rest;
 * - abort rolls back every switched server (auto rollback or not), skips the rest;
 * - rollback (of a finished campaign) returns every switched server to its prior release.
 *
 * Servers that are not there (issue 14):
 * - a server removed from the inventory ends its target where it is (skipped, unless
 *   already over) and gets no step again, rollback included: there is nothing to call;
 * - a server offline when its wave needs it (to stage or switch) is waited for up to
 *   --offline-wait, then skipped or failed by --offline (`wait`: no limit); an offline
 *   canary is never skipped: `skip` fails it. Servers of later waves are not staged
 *   while offline, and nothing counts against them until their wave.
 */
export type TargetStep = 'stage' | 'switch' | 'verify' | 'rollback';

/**
 * What the inventory says of a target's server at this pass; `offline` only when its
 * agent did not answer either (the pass asks it first: presence-probe.ts).
 */
export type ServerPresence = 'online' | 'offline' | 'removed';

/** Presence as the engine judges it: not online is a server that stopped beating or never beat. */
export function serverPresence(server: { status: string } | undefined): ServerPresence {
  if (!server) return 'removed';
  return server.status === 'offline' || server.status === 'pending' ? 'offline' : 'online';
}

export interface TargetFacts {
  server: string;
  wave: number;
  state: TargetState;
  switched: boolean;
  failed: boolean;
  /** The agent operation last sent (rollback retries are told apart by it). */
  operationId: string | null;
  presence: ServerPresence;
  /** Since when the campaign waits for the server to come back online; null: not waiting. */
  offlineSince: Date | null;
  /** When the server was recorded switched, its health hold starting (verifying); null before. */
  verifyingSince: Date | null;
}

export interface CampaignFacts {
  state: CampaignState;
  request: CampaignRequest;
  /** The last change of the campaign, a wave or a target: the progress deadline counts from it. */
  lastProgressAt: Date;
  waves: ReadonlyArray<{ index: number; state: WaveState }>;
  targets: readonly TargetFacts[];
  /** Servers with a step running in this process. */
  inFlight: ReadonlySet<string>;
  now: Date;
  windowOpen: boolean;
}

/** A target change decided from presence (removed or offline servers), written by the pass. */
export interface TargetTransition {
  server: string;
  state: TargetState;
  reason: string | null;
  /** A Date: the wait for the server begins; null: it ends; undefined: unchanged. */
  offlineSince?: Date | null;
  /** The server left the inventory: the target no longer holds its name against other campaigns. */
  releaseServer?: boolean;
}

export interface Decision {
  campaign?: { state: CampaignState; reason: string };
  waves: Array<{ index: number; state: WaveState }>;
  /** Never switched: the campaign ended before it (REASON.notSwitched). */
  skip: string[];
  targets: TargetTransition[];
  start: Array<{ server: string; step: TargetStep }>;
  /**
   * Servers whose step is about to start, their channels opened now so that the step
   * does not begin with a TLS handshake (hundreds at once when a round of max-parallel
   * holds ends together): for switches, one per hold of the running wave expected to end
   * within CONNECT_AHEAD_MS, and the next wave's first max-parallel when the running wave's
   * last holds end by then; for stages, the next STAGE_CONNECT_AHEAD_SHARE of the stages in
   * flight. Nothing is sent.
   */
  connect: string[];
}

/**
 * How far ahead of its expected start a switch's connection is opened: long enough for a
 * round's handshakes to be over when its slots free. A channel opened ahead counts as in
 * use while decide names it; one it no longer names (the hold it waited on began again)
 * is closed as idle (agent-pool.ts IDLE_CHANNEL_MS).
 */
export const CONNECT_AHEAD_MS = 4_000;

/**
 * How many pending servers past the free slots have their channels opened ahead while
 * stages run: this share of the stages in flight. Stages end at about (stages in flight) /
 * (stage time) a second, so a quarter is a quarter of a stage's time ahead: at least half a
 * second for stages of 2 s and more, far longer than a handshake.
 */
export const STAGE_CONNECT_AHEAD_SHARE = 0.25;

const UNSWITCHED: readonly TargetState[] = [TARGET_STATE.pending, TARGET_STATE.staging, TARGET_STATE.staged];
const RESUMABLE: Partial<Record<TargetState, TargetStep>> = {
  [TARGET_STATE.staging]: 'stage',
  [TARGET_STATE.switching]: 'switch',
  [TARGET_STATE.verifying]: 'verify',
  [TARGET_STATE.rollingBack]: 'rollback',
};

export function decide(facts: CampaignFacts): Decision {
  const decision: Decision = { waves: [], skip: [], targets: [], start: [], connect: [] };
  for (const t of facts.targets) {
    if (facts.inFlight.has(t.server)) continue;
    if (t.presence === 'removed' && !isTerminalTargetState(t.state))
      decision.targets.push({
        server: t.server,
        state: TARGET_STATE.skipped,
        reason: REASON.removedServer,
        offlineSince: null,
        releaseServer: true,
      });
    else if (t.presence === 'online' && t.offlineSince !== null)
      decision.targets.push({ server: t.server, state: t.state, reason: null, offlineSince: null });
  }
  // Only servers still in the inventory take steps.
  const idle = facts.targets.filter((t) => !facts.inFlight.has(t.server) && t.presence !== 'removed');
  const { state } = facts;
  const winding = state === CAMPAIGN_STATE.aborting || state === CAMPAIGN_STATE.rollingBack;

  // Steps cut short (by a restart, or a pass that ended) are finished first, whatever the state.
  for (const t of idle) {
    const step = RESUMABLE[t.state];
    if (!step) continue;
    if (step === 'verify' && winding) decision.start.push({ server: t.server, step: 'rollback' });
    else if (step === 'stage' && winding) continue;
    else decision.start.push({ server: t.server, step });
  }
  if (winding) return state === CAMPAIGN_STATE.aborting ? decideAbort(facts, idle, decision) : decideRollback(facts, idle, decision);

  const autoRollback = facts.request.autoRollback;
  for (const t of idle) if (needsPolicyRollback(t, autoRollback)) decision.start.push({ server: t.server, step: 'rollback' });
  const busy = facts.inFlight.size + decision.start.length;
  if (state === CAMPAIGN_STATE.paused) return decision;

  const halt = haltReason(facts);
  if (halt) {
    if (busy === 0 && !facts.targets.some((t) => isBusyState(t.state)))
      finish(facts, decision, CAMPAIGN_STATE.failed, halt, WAVE_STATE.failed);
    return decision;
  }

  // Pre-stage: every target stages at campaign start, bounded by max parallel; an offline one once it is back.
  let slots = facts.request.maxParallel - busy;
  let ahead = Math.ceil(stagesInFlight(facts) * STAGE_CONNECT_AHEAD_SHARE);
  for (const t of idle) {
    if (slots <= 0 && ahead <= 0) break;
    if (t.state !== TARGET_STATE.pending || t.presence !== 'online') continue;
    if (slots > 0) {
      decision.start.push({ server: t.server, step: 'stage' });
      slots--;
    } else {
      decision.connect.push(t.server);
      ahead--;
    }
  }
  if (state === CAMPAIGN_STATE.awaitingPromotion) return decision;

  const wave = facts.waves.find((w) => w.state === WAVE_STATE.pending || w.state === WAVE_STATE.running);
  if (!wave) {
    if (facts.inFlight.size === 0 && decision.start.length === 0)
      finish(facts, decision, CAMPAIGN_STATE.succeeded, REASON.allWavesDone, WAVE_STATE.skipped);
    return decision;
  }
  if (wave.state === WAVE_STATE.pending) {
    if (facts.windowOpen) decision.waves.push({ index: wave.index, state: WAVE_STATE.running });
    return decision;
  }
  const members = facts.targets.filter((t) => t.wave === wave.index);
  for (const t of idle) if (t.wave === wave.index) waitForOffline(facts, t, decision);
  const endingSoon = members.filter((t) => holdEndsSoon(facts, t)).length;
  let freeing = endingSoon;
  for (const t of members) {
    if (slots <= 0 && freeing <= 0) break;
    if (t.state !== TARGET_STATE.staged || t.presence !== 'online' || facts.inFlight.has(t.server)) continue;
    if (slots > 0) {
      decision.start.push({ server: t.server, step: 'switch' });
      slots--;
    } else {
      decision.connect.push(t.server);
      freeing--;
    }
  }
  const isSettled = (t: TargetFacts) =>
    !facts.inFlight.has(t.server) && isTerminalTargetState(t.state) && !needsPolicyRollback(t, autoRollback);
  // The wave's last holds end soon: the next wave's first switches are connected ahead too.
  const next = facts.waves.find((w) => w.index === wave.index + 1);
  const pausesAfter = wave.index === 0 && facts.request.pauseAfterCanary;
  if (next && !pausesAfter && endingSoon > 0 && members.every((t) => isSettled(t) || holdEndsSoon(facts, t))) {
    const first = facts.targets.filter((t) => t.wave === next.index && t.state === TARGET_STATE.staged && t.presence === 'online');
    for (const t of first.slice(0, facts.request.maxParallel)) decision.connect.push(t.server);
  }
  if (members.every(isSettled)) {
    decision.waves.push({ index: wave.index, state: members.some((t) => t.failed) ? WAVE_STATE.failed : WAVE_STATE.succeeded });
    const more = facts.waves.some((w) => w.index > wave.index);
    if (wave.index === 0 && facts.request.pauseAfterCanary && more && !members.some((t) => t.failed)) {
      decision.campaign = { state: CAMPAIGN_STATE.awaitingPromotion, reason: REASON.awaitingPromotion };
    }
  }
  return decision;
}

/** Targets staging in this process (a stage step starts from pending or staging). */
function stagesInFlight(facts: CampaignFacts): number {
  let n = 0;
  for (const t of facts.targets)
    if ((t.state === TARGET_STATE.pending || t.state === TARGET_STATE.staging) && facts.inFlight.has(t.server)) n++;
  return n;
}

/** A target verifying in this process whose hold, if healthy throughout, ends within CONNECT_AHEAD_MS: its slot frees soon. */
function holdEndsSoon(facts: CampaignFacts, t: TargetFacts): boolean {
  const soon = facts.now.getTime() + CONNECT_AHEAD_MS - facts.request.minHealthyMs;
  return (
    t.state === TARGET_STATE.verifying && facts.inFlight.has(t.server) && t.verifyingSince !== null && t.verifyingSince.getTime() <= soon
  );
}

function decideAbort(facts: CampaignFacts, idle: readonly TargetFacts[], decision: Decision): Decision {
  for (const t of idle) {
    if (t.state === TARGET_STATE.pending || t.state === TARGET_STATE.staged || t.state === TARGET_STATE.staging)
      decision.skip.push(t.server);
    else if (t.switched && (t.state === TARGET_STATE.succeeded || t.state === TARGET_STATE.failed))
      decision.start.push({ server: t.server, step: 'rollback' });
  }
  const ending = endingTargets(decision);
  if (
    decision.start.length === 0 &&
    facts.inFlight.size === 0 &&
    !facts.targets.some((t) => isBusyState(t.state) && !ending.has(t.server))
  ) {
    finish(facts, decision, CAMPAIGN_STATE.aborted, REASON.abortDone, WAVE_STATE.skipped);
  }
  return decision;
}

function decideRollback(facts: CampaignFacts, idle: readonly TargetFacts[], decision: Decision): Decision {
  for (const t of idle) if (rollsBackOnCampaignRollback(t)) decision.start.push({ server: t.server, step: 'rollback' });
  if (decision.start.length === 0 && facts.inFlight.size === 0) {
    const incomplete = facts.targets.some((t) => t.state === TARGET_STATE.rollbackFailed);
    decision.campaign = { state: CAMPAIGN_STATE.rolledBack, reason: incomplete ? REASON.rollbackIncomplete : REASON.rollbackDone };
  }
  return decision;
}

/** Ends the campaign: the given state, unstarted targets skipped, open waves closed. */
function finish(facts: CampaignFacts, decision: Decision, state: CampaignState, reason: string, runningWave: WaveState): void {
  decision.campaign = { state, reason };
  const ending = endingTargets(decision);
  for (const t of facts.targets) if (UNSWITCHED.includes(t.state) && !ending.has(t.server)) decision.skip.push(t.server);
  for (const w of facts.waves) {
    if (w.state === WAVE_STATE.running) decision.waves.push({ index: w.index, state: runningWave });
    if (w.state === WAVE_STATE.pending) decision.waves.push({ index: w.index, state: WAVE_STATE.skipped });
  }
}

/** Targets this decision already ends (skipped, or moved to a terminal state). */
function endingTargets(decision: Decision): Set<string> {
  return new Set([...decision.skip, ...decision.targets.filter((t) => isTerminalTargetState(t.state)).map((t) => t.server)]);
}

function haltReason(facts: CampaignFacts): string | undefined {
  if (facts.targets.some((t) => t.wave === 0 && t.failed)) return REASON.canaryFailed;
  const failures = facts.targets.filter((t) => t.failed).length;
  if (failures > failureBudget(facts.request.maxFailures, facts.targets.length)) return REASON.overBudget;
  // Waiting for an operator's promote is not a stall.
  const waiting = facts.state === CAMPAIGN_STATE.awaitingPromotion;
  if (!waiting && facts.now.getTime() - facts.lastProgressAt.getTime() > facts.request.progressDeadlineMs) return REASON.progressDeadline;
  return undefined;
}

/** Failed servers tolerated: the count, or the percent of all targets rounded down. */
export function failureBudget(budget: FailureBudget, targets: number): number {
  return 'count' in budget ? budget.count : Math.floor((budget.percent * targets) / 100);
}

function needsPolicyRollback(t: TargetFacts, autoRollback: boolean): boolean {
  return autoRollback && t.switched && t.state === TARGET_STATE.failed && t.presence !== 'removed';
}

/**
 * A target of the running wave that still has to stage or switch while its server is
 * offline: the wait begins, or, past --offline-wait, --offline decides (the canary is
 * never skipped). `wait` waits on; so does anything within the wait.
 */
function waitForOffline(facts: CampaignFacts, t: TargetFacts, decision: Decision): void {
  if (t.presence !== 'offline' || (t.state !== TARGET_STATE.pending && t.state !== TARGET_STATE.staged)) return;
  if (t.offlineSince === null) {
    decision.targets.push({ server: t.server, state: t.state, reason: REASON.waitingOffline, offlineSince: facts.now });
    return;
  }
  const { policy, waitMs } = facts.request.offline;
  if (policy === OFFLINE_POLICY.wait || facts.now.getTime() - t.offlineSince.getTime() <= waitMs) return;
  if (t.wave === 0)
    decision.targets.push({ server: t.server, state: TARGET_STATE.failed, reason: REASON.offlineCanary, offlineSince: null });
  else if (policy === OFFLINE_POLICY.fail)
    decision.targets.push({ server: t.server, state: TARGET_STATE.failed, reason: REASON.offlineFailed, offlineSince: null });
  else decision.targets.push({ server: t.server, state: TARGET_STATE.skipped, reason: REASON.offlineSkipped, offlineSince: null });
}

/** A step is under way on the agent (or was, before a restart). */
function isBusyState(state: TargetState): boolean {
  return (
    state === TARGET_STATE.staging ||
    state === TARGET_STATE.switching ||
    state === TARGET_STATE.verifying ||
    state === TARGET_STATE.rollingBack
  );
}
