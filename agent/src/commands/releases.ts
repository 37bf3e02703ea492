import type { Digest } from '@wofleet/shared';
import { linkedRelease } from '../layout/links.js';
import type { Engine } from '../engine.js';
import { listReleases, pruneReleases, type PruneResult } from '../releases/index.js';
import { pruneSnapshotBatches } from '../db/snapshot-retention.js';
import { requireState } from '../state/store.js';
import { withServerLock } from './mutation.js';
import { EVENT_TYPE } from '../events/types.js';

export interface ReleaseRow {
  id: string;
  version: string;
  dbVersion: number;
  stagedAt: string;
  files: number;
  bytes: number;
  digest: Digest;
  marks: ('current' | 'canary' | 'previous')[];
}

export async function releasesCommand(engine: Engine): Promise<ReleaseRow[]> {
  const state = await requireState(engine.layout);
  const current = await linkedRelease(engine.layout, 'current');
  const canary = await linkedRelease(engine.layout, 'canary');
  return (await listReleases(engine.layout)).map((r) => ({
    id: r.id,
    version: r.version,
    dbVersion: r.dbVersion,
    stagedAt: r.stagedAt,
    files: r.files,
    bytes: r.bytes,
    digest: r.digest,
    marks: [
      ...(r.id === current ? (['current'] as const) : []),
      ...(r.id === canary ? (['canary'] as const) : []),
      ...(r.id === state.previous ? (['previous'] as const) : []),
    ],
  }));
}

/**
 * prune: old releases (never current, canary or previous, whatever --keep says), and
 * the DB snapshot dumps no record needs (db/snapshot-retention.ts).
 */
export async function pruneCommand(engine: Engine, keep: number | undefined): Promise<PruneResult & { snapshotBatches: string[] }> {
  return withServerLock(engine, 'prune', async () => {
    const state = await requireState(engine.layout);
    const protect = [state.previous].filter((id): id is string => id !== undefined);
    const result = await pruneReleases(engine.layout, { keep: keep ?? engine.config.keepReleases, protect });
    if (result.removed.length > 0) await engine.events.emit(EVENT_TYPE.pruned, { removed: result.removed, freedBytes: result.freedBytes });
    const snapshotBatches = await pruneSnapshotBatches(engine.layout, state);
    return { ...result, snapshotBatches };
  });
}
