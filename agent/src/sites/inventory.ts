import { lstat, readdir } from 'node:fs/promises';
import { sitePaths, type SitePaths } from '../config/paths.js';
import { siteCoreLink, type CoreLink } from '../layout/links.js';
import type { Engine } from '../engine.js';
import { NotFoundError, StateError } from '@wofleet/shared';

export interface SharedSite {
  domain: string;
  paths: SitePaths;
  link: CoreLink;
}

/** The names among `domains` whose `wp` link points at the shared core, sorted. */
async function sharedAmong(engine: Engine, domains: readonly string[]): Promise<SharedSite[]> {
  const sites: SharedSite[] = [];
  for (const domain of [...domains].sort()) {
    const paths = sitePaths(engine.config, domain);
    const link = await siteCoreLink(engine.layout, paths);
    if (link) sites.push({ domain, paths, link });
  }
  return sites;
}

/** Every WordOps site whose `wp` link points at the shared core. */
export async function listSharedSites(engine: Engine): Promise<SharedSite[]> {
  return sharedAmong(engine, await engine.wo.listSites());
}

export async function requireSharedSite(engine: Engine, domain: string): Promise<SharedSite> {
  const paths = sitePaths(engine.config, domain);
  const link = await siteCoreLink(engine.layout, paths);
  if (link) return { domain, paths, link };
  const exists = await lstat(paths.root).then(
    () => true,
    () => false,
  );
  if (!exists) throw new NotFoundError(`unknown site ${domain}: no ${paths.root}`);
  throw new StateError(`${domain} is not a shared-core site (convert it first)`);
}

/**
 * Shared-core sites found on disk alone, without asking WordOps: cheap enough for
 * every heartbeat (spawning `wo` every few seconds is not).
 */
export async function scanSharedSites(engine: Engine): Promise<SharedSite[]> {
  return sharedAmong(engine, await readdir(engine.config.sitesRoot).catch(() => [] as string[]));
}
