import { StateError, UsageError } from '@wofleet/shared';
import type { AgentTarget } from '../agents/client.js';
import { AUTO_CANARY_SITE, type CampaignPlan, type CampaignRequest } from './model.js';
import { serverPresence } from './policy.js';
import type { CampaignRepository, FleetServer } from './repository.js';
import { computeWaves, describeWaves } from './waves.js';

/** What planning reads: the repository, and an offline canary's agent (it changes nothing). */
export interface PlanContext {
  repository: CampaignRepository;
  /** Whether a server's agent answers when asked directly (presence-probe.ts askOnce); without it, presence alone judges the canary. */
  agentAnswers?: (target: AgentTarget) => Promise<boolean>;
}

/**
 * `rollout plan` (and the first half of `start`): the exact waves and servers, or a
 * refusal naming what cannot work. Operator mistakes (unknown names, bad waves) are
 * UsageErrors; the fleet not being ready (a canary presence calls offline whose agent
 * does not answer either, a server busy in another campaign) is a StateError.
 */
export async function planCampaign(ctx: PlanContext, request: CampaignRequest): Promise<CampaignPlan> {
  const release = await ctx.repository.findRelease(request.release);
  if (!release) throw new UsageError(`--release ${request.release} is not in the release catalog (add it with 'wofleet releases add')`);
  return (await planTargets(ctx, request, release)).plan;
}

/** The waves and servers of a campaign that installs `release` (a catalog release, or what an agent upgrade names), and its targets as read. */
export async function planTargets(
  ctx: PlanContext,
  request: CampaignRequest,
  release: CampaignPlan['release'],
): Promise<{ plan: CampaignPlan; targets: FleetServer[] }> {
  const targets = await selectTargets(ctx.repository, request);
  const canary = chooseCanary(targets, request.canary);
  // Presence is a hint: a canary whose agent answers is online, whatever its heartbeats said.
  if (serverPresence(canary) === 'offline' && !(await ctx.agentAnswers?.({ server: canary.name, address: canary.address }))) {
    throw new StateError(`canary server '${canary.name}' is ${canary.status}: it must be online to start a campaign`);
  }
  const busy = await ctx.repository.findActiveCampaignsOf(targets.map((t) => t.name));
  const [first] = busy;
  if (first) throw new StateError(`server '${first.server}' is already in active campaign ${first.campaignId}`);
  const ordered = [canary.name, ...targets.map((t) => t.name).filter((n) => n !== canary.name)];
  const waves = computeWaves(ordered, request.waves, describeWaves(request.waves));
  const plan: CampaignPlan = {
    request,
    release,
    canary: canary.name,
    canarySiteServers: await canarySiteServers(ctx.repository, request.canarySite, ordered),
    waves: waves.map((servers, index) => ({ index, servers })),
    offlineServers: targets.filter((t) => serverPresence(t) === 'offline').map((t) => t.name),
  };
  return { plan, targets };
}

/**
 * Named servers (each must exist, be enrolled and carry the labels), else every
 * enrolled server carrying the labels. Sorted by name.
 */
async function selectTargets(repository: CampaignRepository, request: CampaignRequest): Promise<FleetServer[]> {
  const { servers: names, labels } = request.selection;
  const labelled = await repository.listServers(labels);
  if (names.length === 0) {
    const enrolled = labelled.filter((s) => s.enrolled);
    if (enrolled.length === 0)
      throw new UsageError(`no targets: no enrolled server${Object.keys(labels).length > 0 ? ' carries the given labels' : ''}`);
    return enrolled;
  }
  const all = await repository.listServers();
  const chosen: FleetServer[] = [];
  for (const name of names) {
    const server = all.find((s) => s.name === name);
    if (!server) throw new UsageError(`--servers: unknown server '${name}'`);
    if (!server.enrolled) throw new UsageError(`--servers: server '${name}' has not enrolled its agent yet`);
    if (!labelled.some((s) => s.name === name))
      throw new UsageError(`--servers: server '${name}' does not carry the labels given with --label`);
    chosen.push(server);
  }
  return chosen.sort((a, b) => a.name.localeCompare(b.name));
}

/** The targets holding the `--canary-site` domain (at least one, else a UsageError); none for `auto`. */
async function canarySiteServers(repository: CampaignRepository, canarySite: string, targets: readonly string[]): Promise<string[]> {
  if (canarySite === AUTO_CANARY_SITE) return [];
  const holders = (await repository.listSites({ domain: canarySite })).map((s) => s.server);
  const targeted = holders.filter((server) => targets.includes(server)).sort();
  if (targeted.length > 0) return targeted;
  throw new UsageError(
    holders.length === 0
      ? `--canary-site ${canarySite} is not a site of the inventory (see 'wofleet sites list')`
      : `--canary-site ${canarySite} is on ${holders.join(', ')}, none of them a target of this campaign`,
  );
}

/** The named canary (it must be a target), else the first target flagged canary, else the first by name. */
function chooseCanary(targets: readonly FleetServer[], named: string | undefined): FleetServer {
  if (named !== undefined) {
    const canary = targets.find((t) => t.name === named);
    if (!canary) throw new UsageError(`--canary ${named} is not among the campaign's targets`);
    return canary;
  }
  const canary = targets.find((t) => t.canary) ?? targets[0];
  if (!canary) throw new UsageError('no targets: the campaign would touch no server');
  return canary;
}
