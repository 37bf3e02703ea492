import { lstat } from 'node:fs/promises';
import { sitePaths } from '../config/paths.js';
import { siteCoreLink } from '../layout/links.js';
import { sharedAmong, type SharedSite } from '../layout/shared-sites.js';
import type { Engine } from '../engine.js';
import { NotFoundError, StateError } from '@wofleet/shared';

export { scanSharedSites, type SharedSite } from '../layout/shared-sites.js';

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
