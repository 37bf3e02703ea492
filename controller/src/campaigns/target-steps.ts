import type { Logger } from '@wofleet/shared';
import type { AgentApi } from '../agents/client.js';
import { RunnerStoppedError, type Waiting } from './agent-calls.js';
import { LeaseLostError } from './lease.js';
import { isDatabaseUnreachable } from './transient.js';
import type { CampaignPlan, CampaignState, TargetState } from './model.js';
import type { GateCheckRunner } from './gate-checks.js';
import type { FleetServer, FleetSite, TargetPatch, TargetRow } from './repository.js';

/**
 * The four steps a campaign takes on one server (step-*.ts), each from the state it
 * finds the target in (so a restarted controller resumes it) to the next settled state:
 *
 *   stage:    pending|staging  ──► staged | failed | skipped (already on the release)
 *   switch:   staged|switching ──► verifying | failed (from verifying it goes on as verify does)
 *   verify:   verifying        ──► succeeded | failed (or stays verifying when the campaign winds down)
 *   rollback: any switched     ──► rolled-back | rollback-failed
 *
 * Every agent call that changes what a server runs (a switch, a rollback) is preceded by
 * a committed state carrying its operation id (`c<campaign>-<server>-<step>`), so after a
 * crash the same id is sent again and the agent answers with the first outcome instead of
 * doing the work twice. A stage, which changes nothing a server runs, is sent while its
 * `staging` commits: its id is fixed per target, so the same holds (step-stage.ts).
 */
export interface TargetStepContext {
  campaignId: string;
  plan: CampaignPlan;
  agent: AgentApi;
  /** The campaign's external checks (`--check-http`, `--check-command`), run by the controller. */
  gate: GateCheckRunner;
  waiting: Waiting;
  /**
   * Writes a transition of this target under the campaign's lease, then publishes it.
   * False: not written, as a switch is refused once the campaign no longer runs, and
   * anything once the server has left the inventory.
   */
  writeTarget(state: TargetState, patch: TargetPatch): Promise<boolean>;
  campaignState(): Promise<CampaignState>;
  /** The same, as read at most half a poll ago: one read shared by the driver's steps (what verify polls). */
  recentCampaignState(): Promise<CampaignState>;
  /** The server as the inventory had it at most a poll ago; its status is its presence (heartbeats keep it). */
  server(): Promise<FleetServer | undefined>;
  /** The server's sites as the inventory has them. */
  sites(): Promise<FleetSite[]>;
  log: Logger;
}

export type TargetStepRun = (ctx: TargetStepContext, target: TargetRow) => Promise<void>;

/**
 * A stopping runner, a lost lease or a database that stayed unreachable leaves the
 * target as the repository has it, for whoever resumes: none of them says the server failed.
 */
export function isStopping(ctx: TargetStepContext, err: unknown): boolean {
  return ctx.waiting.signal.aborted || err instanceof RunnerStoppedError || err instanceof LeaseLostError || isDatabaseUnreachable(err);
}
