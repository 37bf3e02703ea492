import { chown, lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Layout } from '../config/paths.js';

/**
 * WordOps' permission fixer chowns the target of every symlink under a site's
 * htdocs to the web user (DESIGN §4): after a `wo` call that touches a site, the
 * release behind `wp` and the shared plugin/theme dirs may belong to www-data,
 * which would let PHP write into the shared core. These are the entries it can
 * reach; they must stay owned by the agent.
 */
async function reachableSharedEntries(layout: Layout): Promise<string[]> {
  const releases = (await readdir(layout.releasesDir).catch(() => [] as string[]))
    .filter((n) => n.startsWith('wp-') && !n.endsWith('.php'))
    .map((n) => path.join(layout.releasesDir, n));
  const content = ['plugins', 'themes', 'mu-plugins', 'languages'].map((d) => path.join(layout.wpContent, d));
  return [layout.sharedRoot, layout.releasesDir, layout.wpContent, layout.configDir, ...content, ...releases];
}

/** Entries not owned by the agent's own user. */
export async function foreignOwnedSharedEntries(layout: Layout): Promise<string[]> {
  const uid = process.getuid?.() ?? 0;
  const foreign: string[] = [];
  for (const entry of await reachableSharedEntries(layout)) {
    const st = await lstat(entry).catch(() => undefined);
    if (st && st.uid !== uid) foreign.push(entry);
  }
  return foreign;
}

/** Give them back to the agent's user; returns what was changed. */
export async function reassertSharedOwnership(layout: Layout): Promise<string[]> {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const fixed = await foreignOwnedSharedEntries(layout);
  for (const entry of fixed) await chown(entry, uid, gid);
  return fixed;
}
