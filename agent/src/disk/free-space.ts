import { stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes, StateError } from '@wofleet/shared';

/**
 * Free-space checks before the agent writes something large (a staged release, a
 * DB dump, an in-DB table copy). A full disk does not only fail the write: MariaDB
 * stalls every site on a server whose datadir filesystem fills. So a write is
 * refused unless its estimate still leaves a reserve free on every filesystem it
 * lands on: min(reservePercent of the filesystem, reserveBytes).
 */

/** One filesystem as statfs(2) sees it; `device` tells two paths on the same one apart from two on different ones. */
export interface FilesystemFacts {
  device: number;
  /** Free to unprivileged users (MariaDB and PHP do not run as root). */
  availableBytes: number;
  totalBytes: number;
}

/** The side effect behind the checks, so tests can drive it. */
export interface FilesystemSpace {
  /** The filesystem holding `target`, or its nearest existing parent (a directory about to be made). */
  facts(target: string): Promise<FilesystemFacts>;
}

export const statfsSpace: FilesystemSpace = {
  async facts(target) {
    const existing = await nearestExisting(target);
    const [st, fs] = await Promise.all([stat(existing), statfs(existing)]);
    return { device: st.dev, availableBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
  },
};

async function nearestExisting(target: string): Promise<string> {
  let at = path.resolve(target);
  for (;;) {
    try {
      await stat(at);
      return at;
    } catch (err) {
      const parent = path.dirname(at);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw err;
      at = parent;
    }
  }
}

export interface SpaceReserve {
  reservePercent: number;
  reserveBytes: number;
}

export function reserveOf(totalBytes: number, reserve: SpaceReserve): number {
  return Math.min(Math.floor((totalBytes * reserve.reservePercent) / 100), reserve.reserveBytes);
}

/** What a write will put where: `what` names it in the refusal ("the release", "the SQL dump"). */
export interface SpaceNeed {
  path: string;
  bytes: number;
  what: string;
}

/** Refused for lack of free space: nothing was written. */
export class DiskSpaceError extends StateError {}

/** Throws DiskSpaceError, naming the numbers, when `needs` would eat into the reserve of any filesystem they land on. */
export async function requireFreeSpace(
  space: FilesystemSpace,
  reserve: SpaceReserve,
  action: string,
  needs: readonly SpaceNeed[],
): Promise<void> {
  // Needs on one filesystem add up: a dump and a table copy may land on the same disk.
  const byDevice = new Map<number, { facts: FilesystemFacts; needs: SpaceNeed[] }>();
  for (const need of needs) {
    const facts = await space.facts(need.path);
    const group = byDevice.get(facts.device) ?? { facts, needs: [] };
    group.needs.push(need);
    byDevice.set(facts.device, group);
  }
  for (const { facts, needs: group } of byDevice.values()) {
    const needed = group.reduce((sum, n) => sum + n.bytes, 0);
    const keep = reserveOf(facts.totalBytes, reserve);
    if (facts.availableBytes - needed >= keep) continue;
    const what = group.map((n) => `${n.what} about ${formatBytes(n.bytes)} in ${n.path}`).join(' + ');
    throw new DiskSpaceError(
      `${action} refused: not enough free space: ${what}, but ${formatBytes(facts.availableBytes)} is free of ${formatBytes(facts.totalBytes)} and ${formatBytes(keep)} must stay free (limits.reservePercent ${reserve.reservePercent}% of the filesystem, at most limits.reserveBytes)`,
    );
  }
}
