import { isActiveCampaignState, TARGET_STATE, WAVE_STATE, type CampaignEvent, type CampaignState } from './model.js';
import { KILL_POINT, killPoint } from './killpoints.js';
import type { LeasedWrite } from './lease.js';
import type { AgentTarget } from '../agents/client.js';
import type { Inventory } from './inventory-reader.js';
import { decide, serverPresence, type Decision, type ServerPresence } from './policy.js';
import type { CampaignRecord, FleetServer, TargetPatch } from './repository.js';
import type { StepLauncher } from './step-launcher.js';
import { REASON } from './transitions.js';
import { isWindowOpen } from './window.js';

/**
 * The targets whose presence decides what the engine does next (pending or staged:
 * they still have to stage or switch) while presence says their server is offline:
 * their agents are asked (presence-probe.ts) before decideFor judges them.
 */
export function targetsToProbe(record: CampaignRecord, inventory: Inventory, inFlight: ReadonlySet<string>): AgentTarget[] {
  const probed: AgentTarget[] = [];
  for (const t of record.targets) {
    const server = inventory.get(t.server);
    if (!server || inFlight.has(t.server) || serverPresence(server) !== 'offline') continue;
    if (t.state === TARGET_STATE.pending || t.state === TARGET_STATE.staged) probed.push({ server: t.server, address: server.address });
  }
  return probed;
}

/**
 * One pass of the driver: the facts policy.decide takes, from the campaign and the
 * inventory as read; `reachable`: servers presence calls offline whose agent answered
 * (they are online). Then its transitions written.
 */
export function decideFor(
  record: CampaignRecord,
  inventory: Inventory,
  reachable: ReadonlySet<string>,
  inFlight: ReadonlySet<string>,
  now: Date,
): Decision {
  const { campaign } = record;
  return decide({
    state: campaign.state,
    request: campaign.plan.request,
    lastProgressAt: lastProgressAt(record),
    waves: record.waves,
    targets: record.targets.map((t) => ({
      server: t.server,
      wave: t.wave,
      state: t.state,
      switched: t.switched,
      failed: t.failedAt !== null,
      operationId: t.operationId,
      presence: judgedPresence(inventory.get(t.server), reachable.has(t.server)),
      offlineSince: t.offlineSince,
      verifyingSince: t.verifyingSince,
    })),
    inFlight,
    now,
    windowOpen: isWindowOpen(campaign.plan.request.window, now),
  });
}

function judgedPresence(server: FleetServer | undefined, answers: boolean): ServerPresence {
  const presence = serverPresence(server);
  return presence === 'offline' && answers ? 'online' : presence;
}

/**
 * Writes the decision's campaign, wave and skip transitions in one fenced
 * transaction, unless the operator changed the campaign's state since the pass read
 * it (then nothing: the next pass decides again). Returns true when the campaign ended.
 */
export async function applyTransitions(
  record: CampaignRecord,
  decision: Decision,
  write: (change: LeasedWrite) => Promise<void>,
  actor: string,
  now: Date,
): Promise<boolean> {
  if (!decision.campaign && decision.waves.length === 0 && decision.skip.length === 0 && decision.targets.length === 0) return false;
  const readState: CampaignState = record.campaign.state;
  let applied = false;
  await write(async (writer, row) => {
    if (row.state !== readState) return [];
    applied = true;
    const events: CampaignEvent[] = [];
    const targetOf = targetsByServer(record);
    for (const change of decision.targets) {
      const target = targetOf.get(change.server);
      if (target) events.push(await writer.targetState(target, change.state, transitionPatch(change, now), actor, now));
    }
    for (const server of decision.skip) {
      const target = targetOf.get(server);
      if (target)
        events.push(await writer.targetState(target, TARGET_STATE.skipped, { reason: REASON.notSwitched, offlineSince: null }, actor, now));
    }
    for (const wave of decision.waves) events.push(await writer.waveState(record.campaign.id, wave.index, wave.state, actor, now));
    if (decision.campaign) events.push(await writer.campaignState(record.campaign.id, decision.campaign, actor, now));
    return events;
  });
  if (!applied) return false;
  if (decision.waves.some((w) => w.state === WAVE_STATE.running)) killPoint(KILL_POINT.afterWaveStarted);
  if (decision.waves.some((w) => w.state === WAVE_STATE.succeeded || w.state === WAVE_STATE.failed)) killPoint(KILL_POINT.afterWaveDone);
  return decision.campaign !== undefined && !isActiveCampaignState(decision.campaign.state);
}

function transitionPatch(change: Decision['targets'][number], now: Date): TargetPatch {
  return {
    reason: change.reason,
    ...(change.offlineSince !== undefined ? { offlineSince: change.offlineSince } : {}),
    ...(change.state === TARGET_STATE.failed ? { failedAt: now } : {}),
    ...(change.releaseServer ? { active: false } : {}),
  };
}

/**
 * Starts the steps the decision asked for, each on the server's address as the
 * inventory had it for the decision (policy.decide starts none on a removed server).
 */
export function startDecidedSteps(record: CampaignRecord, decision: Decision, inventory: Inventory, steps: StepLauncher): void {
  // Most passes start nothing: no map of 10,000 targets for them.
  if (decision.start.length === 0) return;
  const targetOf = targetsByServer(record);
  for (const { server, step } of decision.start) {
    const target = targetOf.get(server);
    const address = inventory.get(server)?.address;
    if (target && address !== undefined) steps.start(record.campaign.plan, target, step, address);
  }
}

/** The channels policy.decide asked to open ahead (`connect`), on the servers' addresses as the inventory has them. */
export function connectAheadTargets(decision: Decision, inventory: Inventory): AgentTarget[] {
  const targets: AgentTarget[] = [];
  for (const server of decision.connect) {
    const address = inventory.get(server)?.address;
    if (address !== undefined) targets.push({ server, address });
  }
  return targets;
}

/** A campaign's targets by server: decisions name thousands of servers at 10,000 targets. */
function targetsByServer(record: CampaignRecord): Map<string, CampaignRecord['targets'][number]> {
  return new Map(record.targets.map((t) => [t.server, t]));
}

/** The last change of the campaign (a resume, a promote), a wave or a target. */
function lastProgressAt(record: CampaignRecord): Date {
  let last = record.campaign.updatedAt.getTime();
  for (const w of record.waves) last = Math.max(last, w.startedAt?.getTime() ?? 0, w.finishedAt?.getTime() ?? 0);
  for (const t of record.targets) last = Math.max(last, t.updatedAt.getTime());
  return new Date(last);
}
