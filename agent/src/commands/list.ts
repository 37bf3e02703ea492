import type { Engine } from '../engine.js';
import { requireState } from '../state/store.js';
import { inspect, probeSites } from './inspect.js';

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
}

export async function listCommand(engine: Engine): Promise<SiteRow[]> {
  await requireState(engine.layout);
  const snap = await inspect(engine);
  const health = new Map((await probeSites(engine, snap)).map((h) => [h.domain, h]));
  return Promise.all(
    snap.sites.map(async (site): Promise<SiteRow> => {
      const info = await engine.wo.siteInfo(site.domain);
      const h = health.get(site.domain);
      const release = site.link === 'canary' ? snap.canary : snap.current;
      return {
        domain: site.domain,
        // WordOps' own PHP version (the pool the vhost uses), as `wo site info` shows it.
        php: info?.phpVersion || (h?.ok ? h.report.php_version : ''),
        cache: info?.cacheType ?? '',
        ssl: info?.ssl ?? false,
        link: site.link,
        release: release?.id,
        version: release?.version,
        health: !h?.ok ? 'unhealthy' : h.problem ? 'degraded' : 'healthy',
        problem: h?.problem,
      };
    }),
  );
}
