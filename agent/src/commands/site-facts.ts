import type { Engine } from '../engine.js';
import type { WordOpsSiteFacts } from '../sites/site-db.js';
import type { SiteHealth } from './inspect.js';

/** What `wo site info` says of a site: the facts list, status and health report. */
export interface SiteFacts {
  domain: string;
  php: string;
  cache: string;
  ssl: boolean;
}

const majorMinor = (version: string): string => /^\d+\.\d+/.exec(version)?.[0] ?? version;

/** PHP, cache and SSL as WordOps records them; a site WordOps does not know (made by hand) still tells its PHP through the probe. */
export function siteFacts(domain: string, wo: WordOpsSiteFacts | undefined, health: SiteHealth | undefined): SiteFacts {
  return {
    domain,
    php: wo?.phpVersion || (health?.ok ? majorMinor(health.report.php_version) : ''),
    cache: wo?.cacheType ?? '',
    ssl: wo?.ssl ?? false,
  };
}

/** The facts of every probed site, from one read of WordOps' site database. */
export async function probedSiteFacts(engine: Engine, probes: readonly SiteHealth[]): Promise<SiteFacts[]> {
  const facts = await engine.woSites.read();
  return probes.map((h) => siteFacts(h.domain, facts.get(h.domain), h));
}
