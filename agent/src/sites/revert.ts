import { copyFile, rm } from 'node:fs/promises';
import { HealthCheckError, StateError } from '@wofleet/shared';
import { sitePaths } from '../config/paths.js';
import { siteCoreLink } from '../layout/links.js';
import { restoreSiteDb } from '../db/snapshot.js';
import type { Engine } from '../engine.js';
import { backupConfig, findBackup, writeManifest } from './backup.js';
import { restoreContent, restoreCore } from './convert.js';

export interface RevertResult {
  domain: string;
  backupDir: string;
  restoredDb: boolean;
  keptInShared: string[];
}

/**
 * `convert --revert`: put back the site's own core, content dirs, wp-config.php
 * and (if convert upgraded it) its DB, from the backup convert made. Plugins and
 * themes convert copied into the shared tree stay there: other sites may use them.
 */
export async function revertSite(engine: Engine, domain: string): Promise<RevertResult> {
  const paths = sitePaths(engine.config, domain);
  if (!(await siteCoreLink(engine.layout, paths))) throw new StateError(`${domain} is not a shared-core site: nothing to revert`);
  const backup = await findBackup(engine.layout, domain, 'converted');
  if (!backup) throw new StateError(`${domain} has no convert backup under ${engine.layout.backupsDir}: cannot revert`);
  const { dir, manifest } = backup;
  const plan = { paths, configMovedUp: manifest.configMovedUp };
  engine.progress(`${domain}: restoring from ${dir}`);
  await rm(paths.coreLink, { force: true });
  await rm(paths.index, { force: true });
  await restoreContent(plan, dir, manifest);
  await copyFile(backupConfig(dir), paths.config);
  await restoreCore(plan, dir, manifest);
  if (manifest.dbSnapshot) await restoreSiteDb(engine, manifest.dbSnapshot);
  manifest.status = 'reverted';
  await writeManifest(dir, manifest);
  await engine.fpm.resetAll();
  const answer = await engine.probe.get(domain, '/', { maxBodyBytes: engine.config.proof.maxBodyBytes });
  if (answer.status !== 200) throw new HealthCheckError(`${domain}: reverted, but the site answers ${answer.status}`);
  return { domain, backupDir: dir, restoredDb: manifest.dbSnapshot !== undefined, keptInShared: manifest.sharedAdded };
}
