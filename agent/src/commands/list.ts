import type { Engine } from '../engine.js';
import { requireState } from '../state/store.js';
import { inspect, probeSites, siteDirNames, type SiteHealth, type Snapshot } from './inspect.js';
import { siteFacts } from './site-facts.js';
import { siteDiskBytes } from './status.js';

export interface SiteRow {
  domain: string;
  php: string;
  cache: string;
  ssl: boolean;
  link: 'current' | 'canary';
  release?: string;
  version?: string;
  health: 'healthy' | 'degraded' | 'unhealthy';
  problem?: string;
  /** What the site's own directory takes on disk (the shared core not counted). */
  diskBytes: number;
}

/**
 * Results of earlier checks (the daemon keeps them, refreshed after each of its mutations
 * and each health pass): the snapshot is reused while the sites root lists the same
 * entries, and sites found there are not probed or measured again.
 */
export interface KnownSiteChecks {
  snapshot: Snapshot;
  health: ReadonlyMap<string, SiteHealth>;
  diskBytes: Readonly<Record<string, number>>;
}

/**
 * Every shared-core site with its facts: PHP, cache and SSL from WordOps' site database
 * (one read for all sites, no `wo` process), health from a probe, disk bytes from a walk
 * of the site's directory; `known` spares the probes and walks already done, `only` lists one site.
 */
export async function listCommand(engine: Engine, options: { known?: KnownSiteChecks; only?: string } = {}): Promise<SiteRow[]> {
  await requireState(engine.layout);
  const kept = options.known?.snapshot;
  const full = kept && sameNames(kept.siteDirs, await siteDirNames(engine)) ? kept : await inspect(engine);
  const snap: Snapshot = { ...full, sites: full.sites.filter((s) => options.only === undefined || s.domain === options.only) };
  const facts = await engine.woSites.read();
  const unknown = { ...snap, sites: snap.sites.filter((s) => !options.known?.health.has(s.domain)) };
  const probed = new Map((await probeSites(engine, unknown)).map((h) => [h.domain, h]));
  return Promise.all(
    snap.sites.map(async (site): Promise<SiteRow> => {
      const wo = facts.get(site.domain);
      const h = options.known?.health.get(site.domain) ?? probed.get(site.domain);
      const release = site.link === 'canary' ? snap.canary : snap.current;
      return {
        ...siteFacts(site.domain, wo, h),
        link: site.link,
        release: release?.id,
        version: release?.version,
        health: !h?.ok ? 'unhealthy' : h.problem ? 'degraded' : 'healthy',
        problem: h?.problem,
        diskBytes: options.known?.diskBytes[site.domain] ?? (await siteDiskBytes(site.paths.root)),
      };
    }),
  );
}

const sameNames = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((name, i) => name === b[i]);
