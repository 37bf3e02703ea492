import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Layout } from '../config/paths.js';
import { linkedReleaseIds, releaseDirectories } from './catalog.js';
import { readReleaseMarker } from './marker.js';
import { removeTree } from './tree.js';

/**
 * Remove what an interrupted stage left behind: everything in releases/.staging
 * (temp trees, downloads) and release directories without a valid marker. A
 * directory `current` or `canary` points at is never touched, marker or not: the
 * sites run it. Run under the server lock, so no stage is in progress.
 * Returns the removed paths.
 */
export async function cleanupStaging(layout: Layout): Promise<string[]> {
  const removed: string[] = [];
  const staged = await readdir(layout.stagingDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  for (const name of staged) {
    const leftover = path.join(layout.stagingDir, name);
    await removeTree(leftover);
    removed.push(leftover);
  }

  const linked = await linkedReleaseIds(layout);
  for (const dir of await releaseDirectories(layout)) {
    if (linked.has(path.basename(dir))) continue;
    if ((await readReleaseMarker(dir)) !== undefined) continue;
    await removeTree(dir);
    removed.push(dir);
  }
  return removed;
}
