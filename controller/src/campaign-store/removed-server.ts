import { and, eq } from 'drizzle-orm';
import { isTerminalTargetState, TARGET_STATE, type TargetState } from '../campaigns/model.js';
import { REASON } from '../campaigns/transitions.js';
import type { Database } from '../db/database.js';
import { campaignTargets } from '../db/schema/campaigns.js';
import type { ServerTargets } from '../servers/registry.js';
import { lockCampaign } from './queries.js';
import { writeTargetState } from './state-writes.js';

/**
 * What removing a server from the inventory does to the campaigns targeting it, in the
 * removal's transaction: the targets an active campaign still works on, and ending
 * them. Each campaign row is locked first, as every engine write does, so a step's
 * write cannot slip in between.
 */
export const campaignTargetsOfServer: ServerTargets = {
  async unfinished(tx, server) {
    return (await activeTargetsOf(tx, server)).filter((t) => !isTerminalTargetState(t.state));
  },

  async release(tx, server, actor, now) {
    for (const target of await activeTargetsOf(tx, server)) {
      await lockCampaign(tx, target.campaignId);
      if (!isTerminalTargetState(target.state))
        await writeTargetState(tx, target, TARGET_STATE.skipped, { reason: REASON.removedServer, offlineSince: null }, actor, now);
    }
    // The name may be targeted again at once (by a server added back under it).
    await tx
      .update(campaignTargets)
      .set({ active: false })
      .where(and(eq(campaignTargets.server, server), eq(campaignTargets.active, true)));
  },
};

async function activeTargetsOf(
  tx: Database,
  server: string,
): Promise<Array<{ campaignId: string; server: string; wave: number; state: TargetState }>> {
  return tx
    .select({
      campaignId: campaignTargets.campaignId,
      server: campaignTargets.server,
      wave: campaignTargets.wave,
      state: campaignTargets.state,
    })
    .from(campaignTargets)
    .where(and(eq(campaignTargets.server, server), eq(campaignTargets.active, true)));
}
