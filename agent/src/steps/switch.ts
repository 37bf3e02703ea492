import type { Engine } from '../engine.js';
import { type CoreLink, pointCoreLink } from '../layout/links.js';
import { scanSharedSites } from '../layout/shared-sites.js';
import { killPoint } from '../state/killpoints.js';
import type { Step } from './runner.js';

/**
 * switch: make PHP serve another target. The one switch of the agent: point, then
 * reset opcache in every pool (FPM would otherwise keep serving the files it
 * compiled) and purge the page cache of the shared-core sites (nginx would otherwise
 * keep serving pages the old core rendered); its undo points back and does both again.
 * update, rollback and convert differ only in what they point.
 */
export const SWITCH_DEFAULTS = {
  name: 'switch',
  /** Order of the core links: `current` first, so a crash between the two leaves only the canary behind. */
  links: ['current', 'canary'] as const satisfies readonly CoreLink[],
};

/** Where a crash test may kill the agent during a switch (agent/src/state/killpoints.ts). */
export interface SwitchKillPoints {
  /** Before the first link moves. */
  before?: string;
  /** After the first link moved, before the second. */
  between?: string;
  /** After every link moved, before opcache is reset. */
  after?: string;
}

export interface SwitchSpec<C> {
  name?: string;
  description: string;
  /** Make the sites serve the new target (e.g. point the core links at a release). */
  point(ctx: C): Promise<void>;
  /** Make them serve what they served before; must cope with a partial `point`. */
  pointBack(ctx: C): Promise<void>;
}

export function switchStep<C extends { engine: Engine }>(spec: SwitchSpec<C>): Step<C> {
  return {
    name: spec.name ?? SWITCH_DEFAULTS.name,
    description: spec.description,
    async run(ctx) {
      await spec.point(ctx);
      await afterSwitch(ctx.engine);
    },
    async undo(ctx) {
      await spec.pointBack(ctx);
      await afterSwitch(ctx.engine);
    },
  };
}

/** Point the core links (by default `current`, then `canary`) at one release. */
export async function pointCoreLinks(
  engine: Engine,
  releaseId: string,
  links: readonly CoreLink[] = SWITCH_DEFAULTS.links,
  kill: SwitchKillPoints = {},
): Promise<void> {
  if (kill.before) killPoint(kill.before);
  for (const [i, link] of links.entries()) {
    if (i === 1 && kill.between) killPoint(kill.between);
    await pointCoreLink(engine.layout, link, releaseId);
  }
  if (kill.after) killPoint(kill.after);
}

/** What every switch does once the links moved: no worker and no cached page serves the old target. */
async function afterSwitch(engine: Engine): Promise<void> {
  await engine.fpm.resetAll();
  await purgeSharedSitesPageCache(engine, 'switched');
}

/** Deletes the page cache entries of every shared-core site (and its www. name). */
export async function purgeSharedSitesPageCache(engine: Engine, why: string): Promise<void> {
  const hosts = new Set((await scanSharedSites(engine)).flatMap((site) => [site.domain, `www.${site.domain}`]));
  const purged = await engine.pageCache.purgeHosts(hosts);
  if (purged > 0) engine.log.info({ purged, why }, 'page cache entries of shared-core sites purged');
}

/** Point core links at a release, reset opcache, purge the page cache: a whole switch outside a step list (the canary step's). */
export async function switchCore(engine: Engine, releaseId: string, links: readonly CoreLink[] = SWITCH_DEFAULTS.links): Promise<void> {
  await pointCoreLinks(engine, releaseId, links);
  await afterSwitch(engine);
}

/** The switch between two releases of the shared core: every core link to `to`, back to `from` on undo. */
export interface ReleaseSwitchContext {
  engine: Engine;
  from: { id: string };
  to: { id: string };
}

export function releaseSwitchStep<C extends ReleaseSwitchContext>(options: {
  description: string;
  killPoints?: SwitchKillPoints;
  /** Bookkeeping written before the links move, and its reverse after they moved back. */
  record?: { before(ctx: C): Promise<void>; undo(ctx: C): Promise<void> };
}): Step<C> {
  return switchStep<C>({
    description: options.description,
    async point(ctx) {
      await options.record?.before(ctx);
      await pointCoreLinks(ctx.engine, ctx.to.id, SWITCH_DEFAULTS.links, options.killPoints);
    },
    async pointBack(ctx) {
      await pointCoreLinks(ctx.engine, ctx.from.id);
      await options.record?.undo(ctx);
    },
  });
}
