import { chmod, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Layout } from '../config/paths.js';
import { linkedReleaseIds, listReleases } from './catalog.js';
import { fsyncDir } from '../state/atomic-file.js';
import { RELEASE_MARKER } from './marker.js';
import { measureExclusiveBytes, removeTree } from './tree.js';

export interface PruneOptions {
  /** How many of the newest complete releases to keep. */
  keep: number;
  /** Release ids never removed (current, canary, previous), whatever their age. */
  protect: readonly string[];
}

export interface PruneResult {
  removed: string[];
  /** Bytes actually released: files still hard-linked from a kept release free nothing. */
  freedBytes: number;
}

/**
 * Delete the oldest complete releases beyond `keep`. Protected ids and whatever
 * `current`/`canary` point at right now are always kept; incomplete directories
 * are cleanup's business, not prune's.
 */
export async function pruneReleases(layout: Layout, options: PruneOptions): Promise<PruneResult> {
  const keep = Math.max(0, Math.floor(options.keep));
  const protectedIds = new Set([...options.protect, ...(await linkedReleaseIds(layout))]);
  const newestFirst = (await listReleases(layout)).reverse();
  const candidates = newestFirst.slice(keep).filter((r) => !protectedIds.has(r.id));

  const removed: string[] = [];
  let freedBytes = 0;
  // Oldest first, measuring each right before removal: removing one release can make
  // files of the next one exclusive (their other links are gone).
  for (const release of candidates.reverse()) {
    freedBytes += await measureExclusiveBytes(release.path);
    await retire(release.path);
    await removeTree(release.path);
    removed.push(release.id);
  }
  if (removed.length > 0) await fsyncDir(layout.releasesDir);
  return { removed, freedBytes };
}

/**
 * Unlist a release before deleting its files, so a crash mid-delete leaves an
 * incomplete directory (which cleanup removes), never a "complete" release with
 * files missing.
 */
async function retire(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  await rm(path.join(dir, RELEASE_MARKER), { force: true });
  await fsyncDir(dir);
}
