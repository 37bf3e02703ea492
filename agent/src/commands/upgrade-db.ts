import { sitePaths } from '../config/paths.js';
import { readDbVersion, snapshotSiteDb } from '../db/snapshot.js';
import { upgradeSiteDb } from '../db/upgrade.js';
import type { Engine } from '../engine.js';
import { EVENT_TYPE } from '../events/types.js';
import { listSharedSites, requireSharedSite } from '../sites/inventory.js';
import { requireState } from '../state/store.js';
import { requireCurrentRelease } from './current.js';
import { withServerLock } from './mutation.js';

export interface UpgradeDbResult {
  dbVersion: number;
  upgraded: string[];
  snapshots: string[];
}

/**
 * Bring site DBs to the schema of the core they run (e.g. after an interrupted
 * update): each out-of-date DB is snapshotted first, then upgraded and checked.
 */
export async function upgradeDbCommand(engine: Engine, site: string | undefined): Promise<UpgradeDbResult> {
  return withServerLock(engine, `upgrade-db${site ? ` ${site}` : ''}`, async () => {
    await requireState(engine.layout);
    const release = await requireCurrentRelease(engine);
    const sites = site ? [await requireSharedSite(engine, site)] : await listSharedSites(engine);
    const result: UpgradeDbResult = { dbVersion: release.dbVersion, upgraded: [], snapshots: [] };
    const batch = `db-${engine.now().toISOString().replace(/[-:.]/g, '')}`;
    for (const s of sites) {
      const from = await readDbVersion(engine, s.domain);
      if (from === release.dbVersion) continue;
      engine.progress(`${s.domain}: DB ${from} -> ${release.dbVersion}`);
      const snapshot = await snapshotSiteDb(engine, batch, s.domain, from);
      result.snapshots.push(snapshot.file);
      await upgradeSiteDb(engine, sitePaths(engine.config, s.domain).domain, release.dbVersion);
      result.upgraded.push(s.domain);
    }
    if (result.upgraded.length > 0) await engine.events.emit(EVENT_TYPE.dbUpgraded, { to: release.dbVersion, sites: result.upgraded });
    return result;
  });
}
