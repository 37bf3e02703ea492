import { StateError } from '@wofleet/shared';
import { AgentCallError, AgentUnreachableError } from '../agents/client.js';
import { listSites, recordAuditEvent, replaceServerSites, type FleetSiteRow } from '../db/index.js';
import type { Actor, ControllerContext } from '../context/index.js';
import type { AgentDialer } from '../servers/live.js';
import { getServerRow } from '../servers/registry.js';
import { agentSiteSchema, siteReportOf } from '../agents/site-report.js';

export const AUDIT_SITES_SYNCED = 'sites-synced';

export interface SiteSync {
  server: string;
  /** The server's sites as stored now. */
  sites: FleetSiteRow[];
  /** Sites the inventory had and the agent no longer reports. */
  removed: string[];
}

/**
 * Re-reads a server's full site list from its agent (ListSites) and makes the inventory
 * match it: every reported site stored with its facts, every other site of that server
 * forgotten, in one transaction. Run at enrollment, when a server comes back, and by
 * `wofleet servers sync NAME`. An unknown server, one not enrolled yet, or an agent
 * that does not answer is an error that names which.
 */
export async function syncServerSites(ctx: ControllerContext, name: string, dial: AgentDialer, actor: Actor): Promise<SiteSync> {
  const server = await getServerRow(ctx, name);
  if (server.enrolledAt === null) throw new StateError(`server ${server.name} is not enrolled yet: its agent has no sites to report`);
  const agent = dial({ server: server.name, address: server.address });
  let answer: Awaited<ReturnType<typeof agent.listSites>>;
  try {
    answer = await agent.listSites();
  } catch (err) {
    // The sync cannot run while the agent is down: a precondition, said as the agent client words it.
    if (err instanceof AgentUnreachableError) throw new StateError(err.message);
    if (err instanceof AgentCallError)
      throw new StateError(`agent ${server.name} at ${server.address} answered with an error: ${err.message}`);
    throw err;
  } finally {
    agent.close();
  }
  const reports = answer.sites.map((site) => {
    const checked = agentSiteSchema.safeParse(site);
    if (!checked.success)
      throw new StateError(`agent ${server.name} reported a malformed site: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    return siteReportOf(checked.data);
  });
  const now = ctx.clock.now();
  const removed = await ctx.db.transaction(async (tx) => {
    const gone = await replaceServerSites(tx, server.id, reports, now);
    await recordAuditEvent(tx, {
      at: now,
      actor,
      serverId: server.id,
      kind: AUDIT_SITES_SYNCED,
      subject: server.name,
      data: { sites: reports.length, removed: gone },
    });
    return gone;
  });
  ctx.log.info({ server: server.name, sites: reports.length, removed, actor }, 'sites synced from the agent');
  return { server: server.name, sites: await listSites(ctx.db, { server: server.name }), removed };
}
