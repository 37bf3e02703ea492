import type { Engine } from '../engine.js';
import { waitUntilServing } from '../health/serving.js';
import { pointSiteAt } from '../layout/links.js';
import type { SitePaths } from '../config/paths.js';
import type { Step } from './runner.js';
import { switchCore } from './switch.js';
import { restoreUpgraded, type UpgradeDbContext, upgradeIfBehind } from './upgrade-db.js';

/**
 * canary: before any other site moves, put the canary site on the new core
 * (through the `canary` link), upgrade its DB and prove it renders there with its
 * theme and plugins (health/serving.ts). Its undo points `canary` back, restores
 * the DB and proves the site renders on the old core again.
 * Skipped when there is no canary (no site, or --force).
 */
export const CANARY = { name: 'canary', description: 'switch the canary site to the new core and check it' } as const;

export interface CanaryContext extends UpgradeDbContext {
  engine: Engine;
  from: { id: string; version: string; dbVersion: number };
  to: { id: string; version: string; dbVersion: number };
  sites: readonly { domain: string; link?: string; paths: SitePaths }[];
}

export const canaryStep: Step<CanaryContext> = {
  ...CANARY,
  async run(ctx) {
    if (!ctx.canary) return;
    const { engine } = ctx;
    const site = ctx.sites.find((s) => s.domain === ctx.canary);
    if (!site) return;
    // A former canary site still follows the `canary` link: back onto `current` (which it is
    // meant to serve) first, or it would move to the new core together with this one.
    for (const other of ctx.sites) {
      if (other.domain !== site.domain && other.link === 'canary') await pointSiteAt(engine.layout, other.paths, 'current');
    }
    if (site.link !== 'canary') await pointSiteAt(engine.layout, site.paths, 'canary');
    await switchCore(engine, ctx.to.id, ['canary']);
    await upgradeIfBehind(ctx, site.domain);
    await waitUntilServing(engine, [site.domain], { wpVersion: ctx.to.version, dbVersion: ctx.to.dbVersion, release: ctx.to.id });
  },
  async undo(ctx) {
    if (!ctx.canary) return;
    await switchCore(ctx.engine, ctx.from.id, ['canary']);
    await restoreUpgraded(ctx, [ctx.canary]);
    await waitUntilServing(ctx.engine, [ctx.canary], {
      wpVersion: ctx.from.version,
      dbVersion: ctx.from.dbVersion,
      release: ctx.from.id,
    });
  },
};
