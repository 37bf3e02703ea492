import { lstat, rm } from 'node:fs/promises';
import path from 'node:path';
import { describeError, StateError, WofleetError } from '@wofleet/shared';
import { sitePaths } from '../config/paths.js';
import { reassertSharedOwnership } from '../layout/ownership.js';
import type { Engine } from '../engine.js';
import { removeBackups } from './backup.js';
import { convertSite, type ConvertResult } from './convert.js';
import { requireCurrentRelease } from './convert-plan.js';
import { pinCoreDownload } from './core-download-pin.js';
import type { SiteCreateFlags } from './wordops.js';

const exists = (p: string) =>
  lstat(p).then(
    () => true,
    () => false,
  );

export class SiteCreateError extends WofleetError {}

/**
 * `wo site create --wp` with WP-CLI's download pinned to the shared core's version (so
 * the schema WordOps installs is the shared core's), then convert onto the shared core.
 * Plugins WordOps installed that the shared tree already holds in another version are
 * dropped for the shared copy: the site is new, and the fleet's version wins. Any failure
 * deletes the site again and checks that nothing of it is left (files, vhost).
 */
export async function createSite(engine: Engine, domain: string, flags: SiteCreateFlags): Promise<ConvertResult> {
  const paths = sitePaths(engine.config, domain);
  if ((await engine.wo.siteInfo(domain)) || (await exists(paths.root))) {
    throw new StateError(`site ${domain} already exists`);
  }
  const release = await requireCurrentRelease(engine);
  const pin = await pinCoreDownload(engine.layout, release.version);
  try {
    engine.progress(`${domain}: wo site create (WordPress ${release.version})`);
    await engine.wo.createSite(domain, flags, pin);
    await reassertSharedOwnership(engine.layout);
    // wo exits 0 on many failures (DESIGN §4): check the result, not the code.
    if (!(await exists(path.join(paths.htdocs, 'wp-settings.php')))) {
      throw new SiteCreateError(`wo site create ${domain} did not install WordPress in ${paths.htdocs}`);
    }
    const result = await convertSite(engine, domain, { newSite: true });
    // A site made a moment ago has nothing worth reverting to: don't keep a core copy for it.
    await removeBackups(engine.layout, domain);
    return result;
  } catch (err) {
    engine.progress(`${domain}: creation failed, removing the site again`);
    const leftovers = await removeSiteCompletely(engine, domain);
    const tail = leftovers.length > 0 ? `; could not remove: ${leftovers.join(', ')}` : '; site removed again';
    throw new SiteCreateError(`create ${domain} failed: ${describeError(err)}${tail}`, { cause: err });
  }
}

/** Delete through WordOps, then make sure no file, vhost or backup of the site is left. */
export async function removeSiteCompletely(engine: Engine, domain: string): Promise<string[]> {
  const paths = sitePaths(engine.config, domain);
  await engine.wo.deleteSite(domain).catch((err: unknown) => engine.log.warn({ domain, err: describeError(err) }, 'wo site delete failed'));
  const vhosts = [path.join(engine.config.nginx.sitesEnabled, domain), path.join(engine.config.nginx.sitesAvailable, domain)];
  const leftovers: string[] = [];
  for (const p of [paths.root, ...vhosts]) {
    if (!(await exists(p))) continue;
    // rm does not follow symlinks: the shared core behind htdocs/wp is safe.
    await rm(p, { recursive: true, force: true }).catch(() => undefined);
    if (await exists(p)) leftovers.push(p);
  }
  await removeBackups(engine.layout, domain);
  return leftovers;
}
