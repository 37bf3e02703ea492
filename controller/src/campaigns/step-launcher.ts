import { describeError, type Logger } from '@wofleet/shared';
import { retryUnreachable, RunnerStoppedError, type Waiting } from './agent-calls.js';
import type { AgentPool } from './agent-pool.js';
import type { PublishEvents } from './event-publisher.js';
import type { GateCheckRunner } from './gate-checks.js';
import type { InventoryReader } from './inventory-reader.js';
import { LeaseLostError, type Lease } from './lease.js';
import { CAMPAIGN_STATE, type CampaignPlan, type TargetState } from './model.js';
import type { TargetStep } from './policy.js';
import { mayRecordTargetState } from './policy-target.js';
import type { CampaignRepository, TargetPatch, TargetRow } from './repository.js';
import { shareRecentRead } from './shared-read.js';
import { rollbackTarget } from './step-rollback.js';
import { AGENT_PACKAGE_STEPS } from './step-agent-package.js';
import { stageTarget } from './step-stage.js';
import { switchTarget } from './step-switch.js';
import { verifyTarget } from './step-verify.js';
import type { TargetStepContext, TargetStepRun } from './target-steps.js';
import { isTransient } from './transient.js';
import { createWriteBatch } from './write-batch.js';

/**
 * Starts the target steps a pass decided on and keeps the set in flight: a step runs
 * on until its next settled state, its transitions written by group commit
 * (write-batch.ts) under the lease and published once committed.
 */
export interface StepLauncher {
  start(plan: CampaignPlan, target: TargetRow, step: TargetStep, address: string): void;
  /** Servers with a step in flight. */
  readonly inFlight: ReadonlyMap<string, Promise<void>>;
  /** Resolves once every step in flight has ended. */
  settle(): Promise<void>;
}

export interface StepLauncherDeps {
  repository: CampaignRepository;
  lease: Lease;
  waiting: Waiting;
  /** The lease's length: how long a step retries a database that cannot be reached before it breaks off. */
  leaseMs: number;
  actor: string;
  log: Logger;
  agents: AgentPool;
  /** The inventory as the driver's passes read it: what verify polls the server's presence in. */
  inventory: InventoryReader;
  gate: GateCheckRunner;
  publishAll: PublishEvents;
  /** A step ended: time for a pass. */
  onSettled(): void;
  /** A step found the lease taken: the driver stops. */
  onLeaseLost(): void;
  /** A step's transition committed: the target row as it now is. */
  onTargetWritten(row: TargetRow): void;
  /** A step's write failed: it may have committed or not. */
  onWriteUnsure(): void;
}

const STEPS: Record<TargetStep, TargetStepRun> = {
  stage: stageTarget,
  switch: switchTarget,
  verify: verifyTarget,
  rollback: rollbackTarget,
};

export function createStepLauncher(deps: StepLauncherDeps): StepLauncher {
  const { repository, lease, waiting, actor } = deps;
  const inFlight = new Map<string, Promise<void>>();
  const writeBatched = createWriteBatch(repository, lease);
  /**
   * The step's reads and writes, again while Postgres cannot be reached, for as long as
   * the lease lasts: past that another controller may have taken the campaign over, and
   * the step breaks off (isStopping) for the next pass to resume, never failing the target.
   */
  const stored = <T>(call: () => Promise<T>) => retryUnreachable(call, waiting, waiting.clock.now().getTime() + deps.leaseMs);
  const campaignState = async () => (await stored(() => repository.readCampaignState(lease.campaignId))) ?? CAMPAIGN_STATE.aborted;
  // Half a poll: a step polling once a poll always sees a state read since its last look.
  const recentCampaignState = shareRecentRead(campaignState, waiting.clock, waiting.pollMs / 2).recent;

  function contextFor(plan: CampaignPlan, target: TargetRow, step: TargetStep, address: string): TargetStepContext {
    let current = target;
    return {
      campaignId: lease.campaignId,
      plan,
      agent: deps.agents.agentFor({ server: target.server, address }),
      gate: deps.gate,
      waiting,
      log: deps.log.child({ serverId: target.server, step }),
      async writeTarget(state: TargetState, patch: TargetPatch) {
        let written: Date | undefined;
        try {
          deps.publishAll(
            await stored(() =>
              writeBatched(async (write, row) => {
                written = undefined;
                if (!mayRecordTargetState(state, row.state)) return [];
                const now = waiting.clock.now();
                const event = await write.stepTargetState(current, state, patch, actor, now);
                if (!event) return [];
                written = now;
                return [event];
              }),
            ),
          );
        } catch (err) {
          deps.onWriteUnsure();
          throw err;
        }
        if (written === undefined) return false;
        current = { ...current, ...patch, state, updatedAt: written };
        deps.onTargetWritten(current);
        return true;
      },
      campaignState,
      recentCampaignState,
      server: async () => (await deps.inventory.recent()).get(target.server),
      sites: () => stored(() => repository.listSites({ server: target.server })),
    };
  }

  return {
    inFlight,
    start(plan, target, step, address) {
      const ctx = contextFor(plan, target, step, address);
      const run = (plan.agentPackage ? AGENT_PACKAGE_STEPS : STEPS)
        [step](ctx, target)
        .catch((err: unknown) => {
          if (err instanceof LeaseLostError) deps.onLeaseLost();
          if (isTransient(err)) ctx.log.warn({ err: describeError(err) }, 'campaign step broke off: the next pass resumes it');
          else if (!(err instanceof RunnerStoppedError) && !(err instanceof LeaseLostError))
            ctx.log.error({ err: describeError(err) }, 'campaign step broke off');
        })
        .finally(() => {
          inFlight.delete(target.server);
          deps.onSettled();
        });
      inFlight.set(target.server, run);
    },
    async settle() {
      await Promise.allSettled([...inFlight.values()]);
    },
  };
}
