import { lstat, realpath } from 'node:fs/promises';
import path from 'node:path';
import { IntegrityError, printable } from '@wofleet/shared';
import type { Layout, SitePaths } from '../config/paths.js';
import { RELEASE_ID } from '../releases/marker.js';
import { isCompleteRelease } from '../releases/catalog.js';

/**
 * The WordPress core the agent runs WP-CLI on for a site. A shared-core site's `wp`
 * link lives in its htdocs, which the web user owns and can point anywhere: the
 * agent follows it itself and accepts only a complete release directly under
 * releasesDir (root-owned, see layout/ownership.ts), and hands WP-CLI that resolved
 * path, so no link the site controls is followed after the check. A site without
 * the link is a traditional site: its core is its own htdocs, the web user's code,
 * which is only ever run as the web user.
 */
export async function resolveSiteCore(layout: Layout, site: SitePaths): Promise<string> {
  const link = await lstat(site.coreLink).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!link) return site.htdocs;
  const refuse = (what: string) =>
    new IntegrityError(
      `${site.domain}: its core link ${site.coreLink} ${what}, not a release in ${layout.releasesDir}; refusing to run WP-CLI on it`,
    );
  const target = await realpath(site.coreLink).catch(() => {
    throw refuse('leads nowhere');
  });
  const releases = await realpath(layout.releasesDir);
  const inReleases = path.dirname(target) === releases && RELEASE_ID.test(path.basename(target));
  if (!inReleases || !(await isCompleteRelease(target))) throw refuse(`resolves to ${printable(target, 200)}`);
  return target;
}
