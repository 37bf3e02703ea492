import { NotFoundError, StateError, type Logger } from '@wofleet/shared';
import type { Actor } from '../context/actor.js';
import type { Clock } from '../context/clock.js';
import {
  CAMPAIGN_ACTION,
  type CampaignAction,
  type CampaignEvent,
  type CampaignPlan,
  type CampaignRequest,
  type CampaignState,
  type CampaignView,
} from './model.js';
import { dbRestoresOfRollback, restoreDbRefusal } from './policy-rollback-db.js';
import { planCampaign, type PlanContext } from './plan.js';
import { planAgentUpgrade, type HeldPackage } from './plan-agent-upgrade.js';
import type { CampaignPage, CampaignRepository } from './repository.js';
import { ACTION_TRANSITIONS, actionRequest } from './transitions.js';
import { toCampaignView } from './view.js';

/**
 * The operator's campaign commands. They only record the change; the runner (which
 * holds the campaign's lease) carries them out. `publish` sends the CampaignEvent of
 * each committed change (optional: the runner publishes its own).
 */
export interface CampaignContext extends PlanContext {
  repository: CampaignRepository;
  clock: Clock;
  log?: Logger;
  publish?: (event: CampaignEvent) => void;
}

export async function startCampaign(ctx: CampaignContext, request: CampaignRequest, actor: Actor): Promise<CampaignView> {
  return recordCampaign(ctx, await planCampaign(ctx, request), actor);
}

/** `wofleet agents upgrade --to`: a campaign installing the `to` package (plan-agent-upgrade.ts). */
export async function startAgentUpgrade(
  ctx: CampaignContext,
  request: CampaignRequest,
  to: HeldPackage,
  held: readonly HeldPackage[],
  actor: Actor,
): Promise<CampaignView> {
  return recordCampaign(ctx, await planAgentUpgrade(ctx, request, to, held), actor);
}

async function recordCampaign(ctx: CampaignContext, plan: CampaignPlan, actor: Actor): Promise<CampaignView> {
  const { id, event } = await ctx.repository.insertCampaign(plan, actor, ctx.clock.now());
  ctx.publish?.(event);
  ctx.log?.info({ campaignId: id, release: plan.release.version, waves: plan.waves.length, actor }, 'campaign started');
  return getCampaign(ctx, id);
}

export async function getCampaign(ctx: Pick<CampaignContext, 'repository'>, id: string): Promise<CampaignView> {
  const record = await ctx.repository.loadCampaign(id);
  if (!record) throw new NotFoundError(`unknown campaign '${id}'`);
  return toCampaignView(record);
}

/** Newest first; `active`: only running, paused, awaiting promotion, aborting or rolling back. */
export async function listCampaigns(
  ctx: Pick<CampaignContext, 'repository'>,
  filter: { active?: boolean } = {},
  page?: CampaignPage,
): Promise<CampaignView[]> {
  const views: CampaignView[] = [];
  for (const id of await ctx.repository.listCampaignIds(filter, page)) views.push(await getCampaign(ctx, id));
  return views;
}

/** What an operator's action may carry: `rollback` restores DB snapshots only with `restoreDb` (policy-rollback-db.ts). */
export interface ActionOptions {
  restoreDb?: boolean;
}

/** A rollback would restore old DB snapshots and the operator did not say `--restore-db`. */
export class RestoreDbRequiredError extends StateError {}

/** pause, resume, promote, abort, rollback: StateError when the campaign's state does not allow it. */
export async function actOnCampaign(
  ctx: CampaignContext,
  id: string,
  action: CampaignAction,
  actor: Actor,
  options: ActionOptions = {},
): Promise<CampaignView> {
  const transition = ACTION_TRANSITIONS[action];
  if (action === CAMPAIGN_ACTION.rollback && options.restoreDb !== true) await refuseDbRestore(ctx, id, transition.from);
  const event = await ctx.repository.withCampaignLocked(id, async (row, write) => {
    if (!row) throw new NotFoundError(`unknown campaign '${id}'`);
    if (!transition.from.includes(row.state)) {
      throw new StateError(`cannot ${action} campaign ${id}: it is ${row.state} (${action} needs ${transition.from.join(' or ')})`);
    }
    const reason = actionRequest(action, actor) + (action === CAMPAIGN_ACTION.rollback && options.restoreDb ? RESTORE_DB_NOTE : '');
    return write.campaignState(id, { state: transition.to, reason }, actor, ctx.clock.now());
  });
  ctx.publish?.(event);
  ctx.log?.info({ campaignId: id, action, actor, ...options }, 'campaign action recorded');
  return getCampaign(ctx, id);
}

const RESTORE_DB_NOTE = ', DB snapshots restored (--restore-db)';

/**
 * Refuses a rollback that would restore DB snapshots. A rollback is accepted only for
 * a finished campaign, which no runner changes any more: its targets, read before the
 * state is written, are still those the rollback acts on.
 */
async function refuseDbRestore(ctx: CampaignContext, id: string, from: readonly CampaignState[]): Promise<void> {
  const record = await ctx.repository.loadCampaign(id);
  // Unknown, or not finished: the transition itself refuses it, saying why.
  if (!record || !from.includes(record.campaign.state)) return;
  const restores = dbRestoresOfRollback(record.targets);
  if (restores.length === 0) return;
  let sites = 0;
  for (const t of restores) sites += (await ctx.repository.listSites({ server: t.server })).length;
  const refusal = restoreDbRefusal(id, restores, sites, ctx.clock.now());
  if (refusal !== undefined) throw new RestoreDbRequiredError(refusal);
}
