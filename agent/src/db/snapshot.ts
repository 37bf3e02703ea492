import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { describeError, IntegrityError } from '@wofleet/shared';
import { sitePaths, type SitePaths } from '../config/paths.js';
import { requireFreeSpace, type SpaceNeed } from '../disk/free-space.js';
import type { Engine } from '../engine.js';
import { writeFileAtomic } from '../state/atomic-file.js';
import type { DbSnapshot } from '../state/store.js';

/**
 * A site DB snapshot is kept twice: an SQL dump on disk (portable, survives
 * anything) and a copy of every table inside the site's own DB. Restoring swaps
 * the copies in with one RENAME TABLE, which MariaDB performs atomically: a
 * request sees the whole old or the whole new DB, never a table being reloaded
 * (an import drops and refills tables one by one under live traffic).
 */
const COPY_TABLE = /^wf[so][0-9a-z]{6}_/;
const ident = (name: string) => `\`${name.replace(/`/g, '``')}\``;

async function siteTables(engine: Engine, site: SitePaths): Promise<string[]> {
  const out = await engine.wp.query(site, 'SHOW TABLES');
  return out
    .split('\n')
    .map((l) => l.trim())
    .filter((t) => t !== '' && !COPY_TABLE.test(t));
}

/** Dump and copy a site's DB before its schema is touched, so a rollback can restore it. */
export async function snapshotSiteDb(engine: Engine, updateId: string, domain: string, dbVersion: number): Promise<DbSnapshot> {
  const site = sitePaths(engine.config, domain);
  const dir = path.join(engine.layout.snapshotsDir, updateId);
  await requireSnapshotSpace(engine, site, dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, `${domain}.sql`);
  await dumpSiteDb(engine, site, file);
  const tables = await siteTables(engine, site);
  const copy = `wfs${randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6)}`;
  const statements = [
    ...tables.map((t) => `CREATE TABLE ${ident(`${copy}_${t}`)} LIKE ${ident(t)};`),
    'START TRANSACTION WITH CONSISTENT SNAPSHOT;',
    ...tables.map((t) => `INSERT INTO ${ident(`${copy}_${t}`)} SELECT * FROM ${ident(t)};`),
    'COMMIT;',
  ];
  await engine.wp.query(site, statements.join(' '));
  return { domain, file, dbVersion, copy, tables };
}

/**
 * The dump lands in stateDir, the table copy in MariaDB's datadir: each must leave
 * the reserve free (disk/free-space.ts). The dump is estimated at the tables' data,
 * the copy at their data and indexes, as MariaDB reports them.
 */
async function requireSnapshotSpace(engine: Engine, site: SitePaths, dir: string): Promise<void> {
  const sql =
    "SELECT @@datadir, COALESCE(SUM(data_length), 0), COALESCE(SUM(index_length), 0) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name NOT REGEXP '^wf[so][0-9a-z]{6}_'";
  const [datadir = '', data = '', index = ''] = ((await engine.wp.query(site, sql)).split('\n')[0] ?? '').split('\t');
  const dataBytes = Number.parseInt(data, 10);
  const indexBytes = Number.parseInt(index, 10);
  if (datadir === '' || !Number.isFinite(dataBytes) || !Number.isFinite(indexBytes)) {
    throw new IntegrityError(`${site.domain}: could not read the DB's size and datadir before its snapshot`);
  }
  const needs: SpaceNeed[] = [{ path: dir, bytes: dataBytes, what: 'the SQL dump' }];
  // A DB server on another host keeps its datadir on its own disks.
  const local = await lstat(datadir).then(
    () => true,
    () => false,
  );
  if (local) needs.push({ path: datadir, bytes: dataBytes + indexBytes, what: 'the in-DB table copy' });
  else engine.log.debug({ domain: site.domain, datadir }, 'MariaDB datadir not on this host: its free space is not checked');
  await requireFreeSpace(engine.space, engine.config.limits, `${site.domain}: DB snapshot`, needs);
}

/**
 * The dump is a file root creates, 0600 from its first byte (it holds every user's
 * password hash): WP-CLI, running as the web user, only writes into the descriptor it
 * is handed. Written atomically: `file` is a complete dump or absent.
 */
async function dumpSiteDb(engine: Engine, site: SitePaths, file: string): Promise<void> {
  await writeFileAtomic(
    file,
    async (out) => {
      await engine.wp.exportDb(site, out);
      // Never trust an exit code alone: an empty dump would restore nothing.
      if ((await out.stat()).size === 0) throw new IntegrityError(`${site.domain}: DB snapshot ${file} is empty`);
    },
    0o600,
  );
}

export async function restoreSiteDb(engine: Engine, snapshot: DbSnapshot): Promise<void> {
  const site = sitePaths(engine.config, snapshot.domain);
  if (snapshot.copy && snapshot.tables && (await copyIsComplete(engine, site, snapshot.copy, snapshot.tables))) {
    await swapInCopy(engine, site, snapshot.copy, snapshot.tables);
  } else {
    const dump = await open(snapshot.file, 'r').catch(() => {
      throw new IntegrityError(`${snapshot.domain}: DB snapshot ${snapshot.file} is missing`);
    });
    try {
      engine.log.warn({ domain: snapshot.domain }, 'no in-DB copy of the snapshot: importing the dump (not atomic)');
      await engine.wp.importDb(site, dump);
    } finally {
      await dump.close();
    }
  }
  await expectDbVersion(engine, snapshot.domain, snapshot.dbVersion);
}

async function copyIsComplete(engine: Engine, site: SitePaths, copy: string, tables: readonly string[]): Promise<boolean> {
  const present = new Set((await engine.wp.query(site, 'SHOW TABLES')).split('\n').map((l) => l.trim()));
  return tables.every((t) => present.has(`${copy}_${t}`));
}

async function swapInCopy(engine: Engine, site: SitePaths, copy: string, tables: readonly string[]): Promise<void> {
  const current = await siteTables(engine, site);
  const old = copy.replace(/^wfs/, 'wfo');
  const renames = [
    ...current.map((t) => `${ident(t)} TO ${ident(`${old}_${t}`)}`),
    ...tables.map((t) => `${ident(`${copy}_${t}`)} TO ${ident(t)}`),
  ];
  await engine.wp.query(site, `RENAME TABLE ${renames.join(', ')};`);
  if (current.length > 0) {
    await engine.wp
      .query(site, `DROP TABLE ${current.map((t) => ident(`${old}_${t}`)).join(', ')};`)
      .catch((err: unknown) => engine.log.warn({ err: describeError(err) }, 'could not drop the replaced tables'));
  }
}

/** Drop a snapshot's in-DB copy once no rollback can need it (its dump stays). */
export async function dropSnapshotCopy(engine: Engine, snapshot: DbSnapshot): Promise<void> {
  if (!snapshot.copy || !snapshot.tables) return;
  const site = sitePaths(engine.config, snapshot.domain);
  const present = new Set((await engine.wp.query(site, 'SHOW TABLES')).split('\n').map((l) => l.trim()));
  const copies = snapshot.tables.map((t) => `${snapshot.copy}_${t}`).filter((t) => present.has(t));
  if (copies.length > 0) await engine.wp.query(site, `DROP TABLE ${copies.map(ident).join(', ')};`);
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
