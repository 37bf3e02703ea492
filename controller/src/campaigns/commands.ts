import { NotFoundError, StateError, type Logger } from '@wofleet/shared';
import type { Actor } from '../context/actor.js';
import type { Clock } from '../context/clock.js';
import type { CampaignAction, CampaignEvent, CampaignRequest, CampaignView } from './model.js';
import { planCampaign } from './plan.js';
import type { CampaignRepository } from './repository.js';
import { ACTION_TRANSITIONS, actionRequest } from './transitions.js';
import { toCampaignView } from './view.js';

/**
 * The operator's campaign commands. They only record the change; the runner (which
 * holds the campaign's lease) carries them out. `publish` sends the CampaignEvent of
 * each committed change (optional: the runner publishes its own).
 */
export interface CampaignContext {
  repository: CampaignRepository;
  clock: Clock;
  log?: Logger;
  publish?: (event: CampaignEvent) => void;
}

export async function startCampaign(ctx: CampaignContext, request: CampaignRequest, actor: Actor): Promise<CampaignView> {
  const plan = await planCampaign(ctx, request);
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
export async function listCampaigns(ctx: Pick<CampaignContext, 'repository'>, filter: { active?: boolean } = {}): Promise<CampaignView[]> {
  const views: CampaignView[] = [];
  for (const id of await ctx.repository.listCampaignIds(filter)) views.push(await getCampaign(ctx, id));
  return views;
}

/** pause, resume, promote, abort, rollback: StateError when the campaign's state does not allow it. */
export async function actOnCampaign(ctx: CampaignContext, id: string, action: CampaignAction, actor: Actor): Promise<CampaignView> {
  const transition = ACTION_TRANSITIONS[action];
  const event = await ctx.repository.withCampaignLocked(id, async (row, write) => {
    if (!row) throw new NotFoundError(`unknown campaign '${id}'`);
    if (!transition.from.includes(row.state)) {
      throw new StateError(`cannot ${action} campaign ${id}: it is ${row.state} (${action} needs ${transition.from.join(' or ')})`);
    }
    return write.campaignState(id, { state: transition.to, reason: actionRequest(action, actor) }, actor, ctx.clock.now());
  });
  ctx.publish?.(event);
  ctx.log?.info({ campaignId: id, action, actor }, 'campaign action recorded');
  return getCampaign(ctx, id);
}
