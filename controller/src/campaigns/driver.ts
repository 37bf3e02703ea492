import { describeError } from '@wofleet/shared';
import { pause, RunnerStoppedError, type Waiting } from './agent-calls.js';
import { createAgentPool } from './agent-pool.js';
import { createEventPublisher } from './event-publisher.js';
import { createLeaseKeeper } from './lease-keeper.js';
import { LeaseLostError, writeUnderLease, type Lease, type LeasedWrite } from './lease.js';
import { createCampaignCopy } from './campaign-copy.js';
import { createInventoryReader } from './inventory-reader.js';
import { isActiveCampaignState, isTerminalTargetState } from './model.js';
import { applyTransitions, connectAheadTargets, decideFor, startDecidedSteps, targetsToProbe } from './pass.js';
import { createPresenceProbe } from './presence-probe.js';
import type { DriverDeps } from './runner-options.js';
import { createStepLauncher } from './step-launcher.js';
import { backoffMs, isDatabaseUnreachable } from './transient.js';
import { createWakeup } from './wakeup.js';

/**
 * Drives one campaign while this controller holds its lease: each pass renews the
 * lease (lease-keeper.ts), reads the campaign (campaign-copy.ts: whole only when it
 * changed other than by this driver's steps) and the inventory, asks policy.decide
 * what to do, writes the transitions (fenced by the lease) and starts the target
 * steps it asked for (step-launcher.ts), which run on until their next settled state.
 * A settled step or a written transition starts the next pass at once (wakeup.ts);
 * otherwise a pass runs every poll. Ends when the campaign is no longer active, the
 * lease is lost, or the runner stops.
 */
export async function driveCampaign(deps: DriverDeps, lease: Lease): Promise<void> {
  const log = deps.log.child({ campaignId: lease.campaignId });
  const actor = `controller:${deps.holderId}`;
  const stopping = new AbortController();
  const onStop = () => stopping.abort();
  deps.signal.addEventListener('abort', onStop, { once: true });
  const waiting: Waiting = { clock: deps.clock, pollMs: deps.pollMs, signal: stopping.signal };
  const wakeup = createWakeup(waiting);
  const agents = createAgentPool(deps.connectAgent, deps.clock);
  const probe = createPresenceProbe({ agentFor: (target) => agents.agentFor(target), clock: deps.clock, cacheMs: deps.pollMs, log });
  const publishAll = createEventPublisher(deps.publish, log);
  const write = async (change: LeasedWrite) => publishAll(await writeUnderLease(deps.repository, lease, change));
  const keeper = createLeaseKeeper(deps.repository, lease, deps.clock, deps.leaseMs, deps.pollMs);
  const campaign = createCampaignCopy(deps.repository, lease.campaignId, deps.clock);
  const inventory = createInventoryReader(deps.repository, deps.clock, deps.pollMs);
  const steps = createStepLauncher({
    repository: deps.repository,
    lease,
    waiting,
    leaseMs: deps.leaseMs,
    actor,
    log,
    agents,
    inventory,
    gate: deps.gateChecks,
    publishAll,
    onSettled: () => wakeup.kick(),
    onLeaseLost: () => stopping.abort(),
    onTargetWritten: (row) => campaign.targetWritten(row),
    onWriteUnsure: () => campaign.forget(),
  });

  /** Reads, decides, writes and starts steps once; false when the campaign is over. */
  const pass = async (): Promise<boolean> => {
    await keeper.keep();
    // Taken before the read: a step that settles during it must not look idle in its old state and run again.
    const busy = new Set(steps.inFlight.keys());
    // At most a poll old: a pass after every settled step reading 10,000 servers kept the loop busy.
    // A step started on a server removed since writes nothing (stepTargetState) and sends no switch.
    const servers = await inventory.recent();
    let record = await campaign.read();
    // A server removed from the inventory had its unfinished targets ended by the removal, not by this driver.
    if (record?.targets.some((t) => !servers.has(t.server) && !isTerminalTargetState(t.state))) {
      campaign.forget();
      record = await campaign.read();
    }
    if (!record || !isActiveCampaignState(record.campaign.state)) return false;
    const reachable = await probe.reachable(targetsToProbe(record, servers, busy));
    const decision = decideFor(record, servers, reachable, busy, deps.clock.now());
    const ended = await applyTransitions(record, decision, write, actor, deps.clock.now());
    if (decision.campaign || decision.waves.length > 0 || decision.skip.length > 0 || decision.targets.length > 0) campaign.forget();
    if (decision.campaign || decision.waves.length > 0 || decision.targets.length > 0) wakeup.kick();
    if (!ended) {
      startDecidedSteps(record, decision, servers, steps);
      agents.connectAhead(connectAheadTargets(decision, servers));
    }
    return true;
  };

  try {
    for (let failedPasses = 0; !stopping.signal.aborted; ) {
      try {
        if (!(await pass())) break;
        failedPasses = 0;
      } catch (err) {
        // Postgres away for a moment: the steps in flight go on, the next pass reads again (keep() fences it).
        if (!isDatabaseUnreachable(err)) throw err;
        log.warn({ err: describeError(err) }, 'campaign pass failed: the database cannot be reached');
        await pause(waiting, backoffMs(failedPasses++));
        continue;
      }
      agents.closeIdle(steps.inFlight);
      await wakeup.wait();
    }
  } catch (err) {
    if (err instanceof LeaseLostError) log.warn({ err: err.message }, 'campaign lease lost: another controller drives it');
    else if (!(err instanceof RunnerStoppedError))
      log.error({ err: describeError(err) }, 'campaign driver failed; the next scan picks the campaign up again');
  } finally {
    stopping.abort();
    deps.signal.removeEventListener('abort', onStop);
    await steps.settle();
    agents.closeAll();
  }
}
