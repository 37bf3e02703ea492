import { linkedRelease } from '../layout/links.js';
import { readRelease } from '../releases/index.js';
import { readDbVersion, snapshotSiteDb } from '../db/snapshot.js';
import { upgradeSiteDb } from '../db/upgrade.js';
import type { Engine } from '../engine.js';
import { EVENT_TYPE } from '../events/types.js';
import { listSharedSites, requireSharedSite } from '../sites/inventory.js';
import { pruneSnapshotsQuietly } from '../db/snapshot-retention.js';
import { requireState } from '../state/store.js';
import { requireCurrentRelease } from '../releases/index.js';
import { withServerLock } from './mutation.js';

export interface UpgradeDbResult {
  dbVersion: number;
  upgraded: string[];
  snapshots: string[];
}

/**
 * Bring site DBs to the schema of the core they run (e.g. after an interrupted
 * update): each out-of-date DB is snapshotted first, then upgraded and checked.
 * A DB newer than its core is left alone: going down is rollback --restore-db's job.
 */
export async function upgradeDbCommand(engine: Engine, site: string | undefined): Promise<UpgradeDbResult> {
  return withServerLock(engine, `upgrade-db${site ? ` ${site}` : ''}`, async () => {
    const state = await requireState(engine.layout);
    const release = await requireCurrentRelease(engine);
    const canaryId = await linkedRelease(engine.layout, 'canary');
    const canary = canaryId ? await readRelease(engine.layout, canaryId) : release;
    const sites = site ? [await requireSharedSite(engine, site)] : await listSharedSites(engine);
    const result: UpgradeDbResult = { dbVersion: release.dbVersion, upgraded: [], snapshots: [] };
    const batch = `db-${engine.now().toISOString().replace(/[-:.]/g, '')}`;
    for (const s of sites) {
      // A site runs the core its own link points at: the canary site may be on another release.
      const target = (s.link === 'canary' ? canary : release).dbVersion;
      const from = await readDbVersion(engine, s.domain);
      if (from >= target) continue;
      engine.progress(`${s.domain}: DB ${from} -> ${target}`);
      const snapshot = await snapshotSiteDb(engine, batch, s.domain, from);
      result.snapshots.push(snapshot.file);
      await upgradeSiteDb(engine, s.domain, target);
      result.upgraded.push(s.domain);
    }
    if (result.upgraded.length > 0) await engine.events.emit(EVENT_TYPE.dbUpgraded, { to: release.dbVersion, sites: result.upgraded });
    // This run's batch is unrecorded: it counts among the newest kept.
    await pruneSnapshotsQuietly(engine, state);
    return result;
  });
}
