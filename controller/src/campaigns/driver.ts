import { describeError } from '@wofleet/shared';
import type { AgentApi, AgentTarget } from '../agents/client.js';
import { findServerByName, listServers } from '../db/index.js';
import { RunnerStoppedError, type Waiting } from './agent-calls.js';
import { KILL_POINT, killPoint } from './killpoints.js';
import { LeaseLostError, writeUnderLease, type Lease, type LeasedWrite } from './lease.js';
import {
  CAMPAIGN_STATE,
  isActiveCampaignState,
  TARGET_STATE,
  WAVE_STATE,
  type CampaignEvent,
  type CampaignState,
  type TargetState,
} from './model.js';
import { decide, type Decision, type TargetStep } from './policy.js';
import {
  acquireLease,
  loadCampaign,
  readCampaignState,
  writeCampaignState,
  writeTargetState,
  writeWaveState,
  type CampaignRecord,
  type TargetPatch,
  type TargetRow,
} from './store.js';
import { rollbackTarget, stageTarget, switchTarget, verifyTarget, type TargetStepContext, type TargetStepRun } from './target-steps.js';
import type { CampaignRunnerOptions } from './runner.js';
import { REASON } from './transitions.js';
import { createWakeup } from './wakeup.js';
import { createWriteBatch } from './write-batch.js';
import { isWindowOpen } from './window.js';

/**
 * Drives one campaign while this controller holds its lease: each pass renews the
 * lease, reads the campaign from Postgres, asks policy.decide what to do, writes the
 * transitions (fenced by the lease; the steps' own by group commit, write-batch.ts)
 * and starts the target steps it asked for, which run on until their next settled
 * state. A settled step or a written transition starts the next pass at once
 * (wakeup.ts); otherwise a pass runs every poll. A server's channel stays open only
 * while it has a step in flight. Ends when the campaign is no longer active, the
 * lease is lost, or the runner stops.
 */
export interface DriverDeps extends Omit<CampaignRunnerOptions, 'pollMs' | 'leaseMs'> {
  pollMs: number;
  leaseMs: number;
  /** The runner stopping. */
  signal: AbortSignal;
}

const STEPS: Record<TargetStep, TargetStepRun> = {
  stage: stageTarget,
  switch: switchTarget,
  verify: verifyTarget,
  rollback: rollbackTarget,
};

export async function driveCampaign(deps: DriverDeps, lease: Lease): Promise<void> {
  const log = deps.log.child({ campaignId: lease.campaignId });
  const actor = `controller:${deps.holderId}`;
  const stopping = new AbortController();
  const onStop = () => stopping.abort();
  deps.signal.addEventListener('abort', onStop, { once: true });
  const waiting: Waiting = { clock: deps.clock, pollMs: deps.pollMs, signal: stopping.signal };
  const inFlight = new Map<string, Promise<void>>();
  const agents = new Map<string, AgentApi>();
  const wakeup = createWakeup(waiting);
  let renewedAt = Number.NEGATIVE_INFINITY;

  const publishAll = (events: readonly CampaignEvent[]) => {
    for (const event of events) {
      Promise.resolve()
        .then(() => deps.publish(event))
        .catch((err: unknown) => log.warn({ err: describeError(err), event }, 'campaign event not published'));
    }
  };
  const write = async (change: LeasedWrite) => publishAll(await writeUnderLease(deps.db, lease, change));
  const writeBatched = createWriteBatch(deps.db, lease);

  const agentFor = (target: AgentTarget): AgentApi => {
    let agent = agents.get(target.server);
    if (!agent || agent.address !== target.address) {
      agent?.close();
      agent = deps.connectAgent(target);
      agents.set(target.server, agent);
    }
    return agent;
  };

  /** Channels of servers with no step in flight: a settled target may wait long (or for ever) for its next step. */
  const closeIdleAgents = () => {
    for (const [server, agent] of agents) {
      if (inFlight.has(server)) continue;
      agent.close();
      agents.delete(server);
    }
  };

  const startStep = (record: CampaignRecord, target: TargetRow, step: TargetStep, address: string) => {
    let current = target;
    const ctx: TargetStepContext = {
      campaignId: lease.campaignId,
      plan: record.campaign.plan,
      agent: agentFor({ server: target.server, address }),
      waiting,
      log: log.child({ serverId: target.server, step }),
      async writeTarget(state: TargetState, patch: TargetPatch) {
        let written = false;
        publishAll(
          await writeBatched(async (tx, row) => {
            // A switch starts only while the campaign runs: the operator may have paused it since the pass.
            if (state === TARGET_STATE.switching && row.state !== CAMPAIGN_STATE.running) return [];
            written = true;
            return [await writeTargetState(tx, current, state, patch, actor, deps.clock.now())];
          }),
        );
        if (written) current = { ...current, ...patch, state };
        return written;
      },
      async campaignState() {
        return (await readCampaignState(deps.db, lease.campaignId)) ?? CAMPAIGN_STATE.aborted;
      },
      async serverStatus() {
        return (await findServerByName(deps.db, target.server))?.status;
      },
    };
    const run = STEPS[step](ctx, target)
      .catch((err: unknown) => {
        if (err instanceof LeaseLostError) stopping.abort();
        if (!(err instanceof RunnerStoppedError) && !(err instanceof LeaseLostError))
          ctx.log.error({ err: describeError(err) }, 'campaign step broke off');
      })
      .finally(() => {
        inFlight.delete(target.server);
        wakeup.kick();
      });
    inFlight.set(target.server, run);
  };

  try {
    while (!stopping.signal.aborted) {
      // Once a poll is enough to keep the lease (every write checks it anyway), however often kicks make passes.
      if (deps.clock.now().getTime() - renewedAt >= deps.pollMs) {
        const token = await acquireLease(deps.db, lease.campaignId, deps.holderId, deps.leaseMs, 'renew');
        if (token !== lease.token) throw new LeaseLostError(`lease on campaign ${lease.campaignId} lost`);
        renewedAt = deps.clock.now().getTime();
      }
      // Taken before the read: a step that settles during it must not look idle in its old state and run again.
      const busy = new Set(inFlight.keys());
      const record = await loadCampaign(deps.db, lease.campaignId);
      if (!record || !isActiveCampaignState(record.campaign.state)) break;
      const decision = decideFor(record, busy, deps.clock.now());
      const ended = await applyTransitions(record, decision, write, actor, deps.clock.now());
      if (decision.campaign || decision.waves.length > 0) wakeup.kick();
      if (!ended && decision.start.length > 0) {
        const addresses = new Map((await listServers(deps.db)).map((s) => [s.name, s.address]));
        for (const { server, step } of decision.start) {
          const target = record.targets.find((t) => t.server === server);
          const address = addresses.get(server);
          if (!target) continue;
          if (address === undefined) {
            await write(async (tx) => [
              await writeTargetState(
                tx,
                target,
                TARGET_STATE.failed,
                { failedAt: deps.clock.now(), reason: 'server removed from the inventory' },
                actor,
                deps.clock.now(),
              ),
            ]);
            continue;
          }
          startStep(record, target, step, address);
        }
      }
      closeIdleAgents();
      await wakeup.wait();
    }
  } catch (err) {
    if (err instanceof LeaseLostError) log.warn({ err: err.message }, 'campaign lease lost: another controller drives it');
    else if (!(err instanceof RunnerStoppedError))
      log.error({ err: describeError(err) }, 'campaign driver failed; the next scan picks the campaign up again');
  } finally {
    stopping.abort();
    deps.signal.removeEventListener('abort', onStop);
    await Promise.allSettled([...inFlight.values()]);
    for (const agent of agents.values()) agent.close();
  }
}

function decideFor(record: CampaignRecord, inFlight: ReadonlySet<string>, now: Date): Decision {
  const { campaign } = record;
  return decide({
    state: campaign.state,
    request: campaign.plan.request,
    createdAt: campaign.createdAt,
    waves: record.waves,
    targets: record.targets.map((t) => ({
      server: t.server,
      wave: t.wave,
      state: t.state,
      switched: t.switched,
      failed: t.failedAt !== null,
      operationId: t.operationId,
    })),
    inFlight,
    now,
    windowOpen: isWindowOpen(campaign.plan.request.window, now),
  });
}

/**
 * Writes the decision's campaign, wave and skip transitions in one fenced
 * transaction, unless the operator changed the campaign's state since the pass read
 * it (then nothing: the next pass decides again). Returns true when the campaign ended.
 */
async function applyTransitions(
  record: CampaignRecord,
  decision: Decision,
  write: (change: LeasedWrite) => Promise<void>,
  actor: string,
  now: Date,
): Promise<boolean> {
  if (!decision.campaign && decision.waves.length === 0 && decision.skip.length === 0) return false;
  const readState: CampaignState = record.campaign.state;
  let applied = false;
  await write(async (tx, row) => {
    if (row.state !== readState) return [];
    applied = true;
    const events: CampaignEvent[] = [];
    for (const server of decision.skip) {
      const target = record.targets.find((t) => t.server === server);
      if (target) events.push(await writeTargetState(tx, target, TARGET_STATE.skipped, { reason: REASON.notSwitched }, actor, now));
    }
    for (const wave of decision.waves) events.push(await writeWaveState(tx, record.campaign.id, wave.index, wave.state, actor, now));
    if (decision.campaign) events.push(await writeCampaignState(tx, record.campaign.id, decision.campaign, actor, now));
    return events;
  });
  if (!applied) return false;
  if (decision.waves.some((w) => w.state === WAVE_STATE.running)) killPoint(KILL_POINT.afterWaveStarted);
  if (decision.waves.some((w) => w.state === WAVE_STATE.succeeded || w.state === WAVE_STATE.failed)) killPoint(KILL_POINT.afterWaveDone);
  return decision.campaign !== undefined && !isActiveCampaignState(decision.campaign.state);
}
