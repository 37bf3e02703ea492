import { readlink } from 'node:fs/promises';
import path from 'node:path';
import type { Layout, SitePaths } from '../config/paths.js';
import { switchLink } from '../state/atomic-file.js';

export type CoreLink = 'current' | 'canary';

/** The release id a core link points at, or undefined when the link is missing. */
export async function linkedRelease(layout: Layout, link: CoreLink): Promise<string | undefined> {
  try {
    return path.basename(await readlink(layout[link]));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
    throw err;
  }
}

/** Atomically point `current` or `canary` at a release (relative target, inside sharedRoot). */
export async function pointCoreLink(layout: Layout, link: CoreLink, releaseId: string): Promise<void> {
  await switchLink(layout[link], path.join('releases', releaseId));
}

/** Which core link a site's `wp` link uses, or undefined if it is not a shared-core site. */
export async function siteCoreLink(layout: Layout, site: SitePaths): Promise<CoreLink | undefined> {
  let target: string;
  try {
    target = await readlink(site.coreLink);
  } catch {
    return undefined;
  }
  if (target === layout.current) return 'current';
  if (target === layout.canary) return 'canary';
  return undefined;
}

export async function pointSiteAt(layout: Layout, site: SitePaths, link: CoreLink): Promise<void> {
  await switchLink(site.coreLink, layout[link]);
}
