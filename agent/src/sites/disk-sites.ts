import { access, readdir } from 'node:fs/promises';
import path from 'node:path';
import { domainOrUndefined } from '@wofleet/shared';
import { scanSharedSites } from '../layout/shared-sites.js';
import type { Engine } from '../engine.js';

/**
 * The sites the disk shows, without asking WordOps: every domain-named directory
 * of sitesRoot that has an nginx conf of the same name in sites-available (as
 * `wo site create` leaves it), or whose `wp` link points at the shared core.
 * `wo site list` exits 0 when it fails, printing nothing; before anything is
 * deleted on its word, this is what it must agree with.
 */
export async function sitesOnDisk(engine: Engine): Promise<string[]> {
  const found = new Set((await scanSharedSites(engine)).map((s) => s.domain));
  for (const name of await readdir(engine.config.sitesRoot).catch(() => [] as string[])) {
    // WordOps' own vhosts (22222, html, default) are not domains.
    if (domainOrUndefined(name) !== name) continue;
    const conf = path.join(engine.config.nginx.sitesAvailable, name);
    if (
      await access(conf).then(
        () => true,
        () => false,
      )
    )
      found.add(name);
  }
  return [...found].sort();
}
