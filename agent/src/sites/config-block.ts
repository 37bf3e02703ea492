import { readFile } from 'node:fs/promises';
import { StateError } from '@wofleet/shared';
import type { Layout } from '../config/paths.js';
import { restrictFileAccess } from '../disk/file-access.js';
import type { WebUser } from '../runtime/web-user.js';
import { CONFIG_BLOCK_BEGIN, CONFIG_BLOCK_END, siteConfigBlock } from '../layout/site-bootstrap.js';
import { writeFileAtomic } from '../state/atomic-file.js';

const STOP_EDITING = /^.*That's all, stop editing!.*$/m;
const LOAD_SETTINGS = /^.*require(?:_once)?\s*\(?\s*ABSPATH\s*\.\s*['"]wp-settings\.php['"]\s*\)?\s*;.*$/m;

/** wp-config.php with the wofleet block inserted before WordPress is loaded. */
export function insertConfigBlock(source: string, block: string): string {
  const withoutOld = removeConfigBlock(source);
  const anchor = STOP_EDITING.exec(withoutOld) ?? LOAD_SETTINGS.exec(withoutOld);
  if (!anchor) throw new StateError('wp-config.php does not load wp-settings.php the usual way; cannot add the shared-core block safely');
  return `${withoutOld.slice(0, anchor.index)}${block}${withoutOld.slice(anchor.index)}`;
}

export function removeConfigBlock(source: string): string {
  const begin = source.indexOf(CONFIG_BLOCK_BEGIN);
  if (begin < 0) return source;
  const end = source.indexOf(CONFIG_BLOCK_END, begin);
  if (end < 0) return source;
  let stop = end + CONFIG_BLOCK_END.length;
  if (source[stop] === '\n') stop++;
  return source.slice(0, begin) + source.slice(stop);
}

/**
 * A site's wp-config.php holds its DB password and salts: only its PHP (the web user,
 * who owns it under WordOps, whose permission fixer chowns the site root to it) and
 * root may read it. WordOps writes it 0644; the mode survives WordOps' later chowns.
 */
export const SITE_CONFIG_MODE = 0o600;

export async function patchSiteConfig(layout: Layout, file: string, domain: string, ssl: boolean, webUser: WebUser): Promise<void> {
  const source = await readFile(file, 'utf8');
  await writeFileAtomic(file, insertConfigBlock(source, siteConfigBlock(layout, domain, ssl)), SITE_CONFIG_MODE, webUser);
}

/** Gives a site's wp-config.php back its owner and mode (a site converted before they were set, or changed by hand); true when it changed. */
export function protectSiteConfig(file: string, webUser: WebUser): Promise<boolean> {
  return restrictFileAccess(file, webUser, SITE_CONFIG_MODE);
}
