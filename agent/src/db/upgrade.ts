import { sitePaths } from '../config/paths.js';
import type { Engine } from '../engine.js';
import { expectDbVersion } from './snapshot.js';

/**
 * Run WordPress' DB upgrade for one site and check the result: WP-CLI may exit 0
 * without upgrading (DESIGN §4), so the stored db_version is what counts.
 */
export async function upgradeSiteDb(engine: Engine, domain: string, toDbVersion: number): Promise<void> {
  await engine.wp.updateDb(sitePaths(engine.config, domain));
  await expectDbVersion(engine, domain, toDbVersion);
}
