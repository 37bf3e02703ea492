import { readdir } from 'node:fs/promises';
import { sitePaths, type SitePaths } from '../config/paths.js';
import type { Engine } from '../engine.js';
import { siteCoreLink, type CoreLink } from './links.js';

export interface SharedSite {
  domain: string;
  paths: SitePaths;
  link: CoreLink;
}

/** The names among `domains` whose `wp` link points at the shared core, sorted. */
export async function sharedAmong(engine: Engine, domains: readonly string[]): Promise<SharedSite[]> {
  const sites: SharedSite[] = [];
  for (const domain of [...domains].sort()) {
    const paths = sitePaths(engine.config, domain);
    const link = await siteCoreLink(engine.layout, paths);
    if (link) sites.push({ domain, paths, link });
  }
  return sites;
}

/**
 * Shared-core sites found on disk alone, without asking WordOps: cheap enough for
 * every heartbeat (spawning `wo` every few seconds is not).
 */
export async function scanSharedSites(engine: Engine): Promise<SharedSite[]> {
  return sharedAmong(engine, await readdir(engine.config.sitesRoot).catch(() => [] as string[]));
}
