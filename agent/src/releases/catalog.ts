import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { isWordPressVersion, NotFoundError, printable, UsageError } from '@wofleet/shared';
import type { Layout } from '../config/paths.js';
import { linkedRelease } from '../layout/links.js';
import { readReleaseMarker, RELEASE_ID, type ReleaseMarker } from './marker.js';

/**
 * The releases on disk. A directory in releases/ is a release only when it holds a
 * valid marker (written last when staging); anything else there is incomplete and
 * never listed, linked or pruned as a release.
 */

export interface ReleaseInfo extends ReleaseMarker {
  /** Absolute path of the release directory. */
  path: string;
}

/** Complete releases, oldest first (by staging time, then id). */
export async function listReleases(layout: Layout): Promise<ReleaseInfo[]> {
  const releases: ReleaseInfo[] = [];
  for (const dir of await releaseDirectories(layout)) {
    const marker = await readReleaseMarker(dir);
    if (marker !== undefined) releases.push({ ...marker, path: dir });
  }
  return releases.sort((a, b) => compareCodeUnits(a.stagedAt, b.stagedAt) || compareCodeUnits(a.id, b.id));
}

/** ISO times and release ids are ASCII: plain order, no locale (ICU) needed. */
function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Directories in releases/ named like releases, complete or not (never links, never .staging). */
export async function releaseDirectories(layout: Layout): Promise<string[]> {
  const names = await readdir(layout.releasesDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [] as string[];
    throw err;
  });
  const dirs: string[] = [];
  for (const name of names.filter((n) => RELEASE_ID.test(n)).sort()) {
    const dir = path.join(layout.releasesDir, name);
    if (await isDirectory(dir)) dirs.push(dir);
  }
  return dirs;
}

export async function isCompleteRelease(dir: string): Promise<boolean> {
  return (await isDirectory(dir)) && (await readReleaseMarker(dir)) !== undefined;
}

/** One release by id; NotFoundError lists the ids that do exist. */
export async function readRelease(layout: Layout, id: string): Promise<ReleaseInfo> {
  if (!RELEASE_ID.test(id)) throw new UsageError(`invalid release id '${printable(id)}': expected wp-<version>-<stamp>`);
  const dir = path.join(layout.releasesDir, id);
  const marker = (await isDirectory(dir)) ? await readReleaseMarker(dir) : undefined;
  if (marker === undefined) throw new NotFoundError(`unknown release ${id}; ${knownIds(await listReleases(layout))}`);
  return { ...marker, path: dir };
}

/** The release staged from an archive with this sha256, if any (staging the same archive twice reuses it). */
export async function findReleaseByDigest(layout: Layout, archiveSha256: string): Promise<ReleaseInfo | undefined> {
  const releases = await listReleases(layout);
  return releases.filter((r) => r.archiveSha256 === archiveSha256).at(-1);
}

/**
 * A `--to` argument: a release id, or a version (the newest release of that version
 * when several were staged).
 */
export async function resolveReleaseRef(layout: Layout, ref: string): Promise<ReleaseInfo> {
  const wanted = ref.trim();
  if (RELEASE_ID.test(wanted)) return readRelease(layout, wanted);
  if (!isWordPressVersion(wanted)) {
    throw new UsageError(`invalid release '${printable(wanted)}': expected a release id (wp-6.5.5-...) or a version (6.5.5)`);
  }
  const releases = await listReleases(layout);
  const matching = releases.filter((r) => r.version === wanted);
  const newest = matching.at(-1);
  if (newest === undefined) throw new NotFoundError(`no staged release of WordPress ${wanted}; ${knownIds(releases)}`);
  return newest;
}

/** Release ids that `current` and `canary` point at: never removed by cleanup or prune. */
export async function linkedReleaseIds(layout: Layout): Promise<Set<string>> {
  const ids = [await linkedRelease(layout, 'current'), await linkedRelease(layout, 'canary')];
  return new Set(ids.filter((id): id is string => id !== undefined));
}

function knownIds(releases: readonly ReleaseInfo[]): string {
  return releases.length === 0 ? 'no releases are staged' : `known: ${releases.map((r) => r.id).join(', ')}`;
}

/** A real directory: a symlink to one does not count (releases are never links). */
async function isDirectory(p: string): Promise<boolean> {
  const st = await lstat(p).catch(() => undefined);
  return st?.isDirectory() ?? false;
}
