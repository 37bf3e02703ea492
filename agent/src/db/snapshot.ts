import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { IntegrityError } from '@wofleet/shared';
import { sitePaths } from '../config/paths.js';
import type { Engine } from '../engine.js';
import type { DbSnapshot } from '../state/store.js';

/** Dump a site's DB before its schema is touched, so a rollback can restore it. */
export async function snapshotSiteDb(engine: Engine, updateId: string, domain: string, dbVersion: number): Promise<DbSnapshot> {
  const dir = path.join(engine.layout.snapshotsDir, updateId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${domain}.sql`);
  await engine.wp.exportDb(sitePaths(engine.config, domain), file);
  // Never trust an exit code alone: an empty dump would restore nothing.
  const size = await stat(file).then((s) => s.size, () => 0);
  if (size === 0) throw new IntegrityError(`${domain}: DB snapshot ${file} is empty`);
  await chmod(file, 0o600);
  return { domain, file, dbVersion };
}

export async function restoreSiteDb(engine: Engine, snapshot: DbSnapshot): Promise<void> {
  await stat(snapshot.file).catch(() => {
    throw new IntegrityError(`${snapshot.domain}: DB snapshot ${snapshot.file} is missing`);
  });
  const site = sitePaths(engine.config, snapshot.domain);
  await engine.wp.importDb(site, snapshot.file);
  await expectDbVersion(engine, snapshot.domain, snapshot.dbVersion);
}

export async function readDbVersion(engine: Engine, domain: string): Promise<number> {
  const raw = await engine.wp.optionGet(sitePaths(engine.config, domain), 'db_version');
  const value = Number.parseInt(raw, 10);
  if (!Number.isFinite(value)) throw new IntegrityError(`${domain}: db_version is '${raw}', not a number`);
  return value;
}

export async function expectDbVersion(engine: Engine, domain: string, expected: number): Promise<void> {
  const actual = await readDbVersion(engine, domain);
  if (actual !== expected) throw new IntegrityError(`${domain}: db_version is ${actual}, expected ${expected}`);
}
