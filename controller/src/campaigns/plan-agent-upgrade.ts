import { StateError } from '@wofleet/shared';
import type { CampaignPlan, CampaignRequest } from './model.js';
import { planTargets, type PlanContext } from './plan.js';

/** A wofleet-agent package the controller holds. */
export interface HeldPackage {
  version: string;
  sha256: string;
}

/**
 * `wofleet agents upgrade --to VERSION`: the plan of a rollout campaign (canary, waves,
 * health gate, failures, rollback) whose targets install `to` instead of a WordPress
 * release. Refused unless the controller holds the package every target would go back
 * to: a rollback with no package to install would leave the server where it failed.
 */
export async function planAgentUpgrade(
  ctx: PlanContext,
  request: CampaignRequest,
  to: HeldPackage,
  held: readonly HeldPackage[],
): Promise<CampaignPlan> {
  const release = { version: `wofleet-agent ${to.version}`, url: '', digest: { algorithm: 'sha256' as const, hex: to.sha256 } };
  const { plan, targets } = await planTargets(ctx, request, release);
  const rollback: Record<string, string> = {};
  for (const target of targets) {
    const from = target.agentVersion;
    if (from === to.version) continue;
    const pkg = held.find((p) => p.version === from);
    if (from === undefined || !pkg) {
      throw new StateError(
        `cannot upgrade ${target.name}: its rollback package (wofleet-agent ${from ?? 'of unknown version: it never reported one'}) is not held by the controller; add it first with 'wofleet agents packages add'`,
      );
    }
    rollback[pkg.version] = pkg.sha256;
  }
  return { ...plan, agentPackage: { version: to.version, sha256: to.sha256, rollback } };
}
