import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '@wofleet/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createWordOpsSiteDb } from '../src/sites/site-db.js';
import { cleanWoOutput, parseSiteInfo } from '../src/sites/wordops.js';

const OUTPUTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/realwo/outputs');

/** The `sites` table as SQLAlchemy creates it from WordOps 3.22's SiteDB model (wo/cli/plugins/models.py). */
const WORDOPS_DDL = `CREATE TABLE sites (
	id INTEGER NOT NULL,
	sitename VARCHAR,
	site_type VARCHAR,
	cache_type VARCHAR,
	site_path VARCHAR,
	created_on DATETIME,
	is_enabled BOOLEAN NOT NULL,
	is_ssl BOOLEAN,
	storage_fs VARCHAR,
	storage_db VARCHAR,
	db_name VARCHAR,
	db_user VARCHAR,
	db_password VARCHAR,
	db_host VARCHAR,
	is_hhvm BOOLEAN,
	php_version VARCHAR,
	PRIMARY KEY (id),
	UNIQUE (sitename)
);`;

type Row = Record<string, string | number | null>;

/** The rows real WordOps wrote (disk/dbase-sites.txt: one Python dict per line). */
function recordedRows(): Row[] {
  return readFileSync(path.join(OUTPUTS, 'disk/dbase-sites.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line.replaceAll("'", '"')) as Row);
}

const literal = (v: string | number | null) => (v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`);
/** Every column real WordOps filled (the recorded row's keys). */
const insert = (row: Row) => `INSERT INTO sites (${Object.keys(row).join(', ')}) VALUES (${Object.values(row).map(literal).join(', ')});`;

/** The real SQLite (sqlite3 CLI) writing, as WordOps does through SQLAlchemy. */
function sqlite(file: string, sql: string): void {
  execFileSync('sqlite3', [file], { input: sql });
}

const siteDb = (file: string, busyTimeoutMs?: number) => createWordOpsSiteDb(file, { sqlite3: 'sqlite3', run: runCommand, busyTimeoutMs });

/**
 * A WordOps write in progress: a sqlite3 shell that has run `sql` and holds its lock until
 * commit() (in a transaction, or, with transaction false, committed in autocommit and the
 * connection left open).
 */
function holdWriteLock(file: string, sql: string, transaction = true) {
  const shell = spawn('sqlite3', [file], { stdio: ['pipe', 'pipe', 'inherit'] });
  const done = new Promise<void>((resolve, reject) => {
    shell.on('error', reject);
    shell.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sqlite3 exited ${code}`))));
  });
  const locked = new Promise<void>((resolve) => shell.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));
  shell.stdin.write(`${transaction ? 'BEGIN EXCLUSIVE;\n' : ''}${sql}\nSELECT 'locked';\n`);
  return {
    locked,
    done,
    commit: () => shell.stdin.end(transaction ? 'COMMIT;\n' : ''),
  };
}

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'wofleet-sitedb-'));
  file = path.join(dir, 'dbase.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("WordOps' site database, read-only", () => {
  it('reads the facts wo site info shows, for every site with a valid domain', async () => {
    const rows = recordedRows();
    sqlite(file, `${WORDOPS_DDL}\n${rows.map(insert).join('\n')}`);
    const sites = await siteDb(file).read();
    // inv@lid_domain: WordOps registered it; the agent refuses such a name everywhere.
    expect([...sites.keys()]).toEqual(['example.test', 'example-fc.test']);
    const info = parseSiteInfo('example.test', cleanWoOutput(readFileSync(path.join(OUTPUTS, '02-info.txt'), 'utf8')));
    expect(sites.get('example.test')).toEqual({ ...info, enabled: true });
    expect(sites.get('example-fc.test')).toMatchObject({ cacheType: 'wpfc', phpVersion: '8.2', ssl: false, enabled: true });
  });

  it('sees SSL, a disabled site and a later change of PHP version', async () => {
    const [first] = recordedRows() as [Row];
    sqlite(
      file,
      `${WORDOPS_DDL}\n${insert(first)}\n${insert({ ...first, id: 2, sitename: 'tls.test', is_ssl: 1, is_enabled: 0, cache_type: 'wpredis', php_version: '8.3' })}`,
    );
    const db = siteDb(file);
    expect((await db.read()).get('tls.test')).toMatchObject({ ssl: true, enabled: false, cacheType: 'wpredis', phpVersion: '8.3' });
    sqlite(file, "UPDATE sites SET php_version = '8.1', cache_type = 'wpfc' WHERE sitename = 'example.test';");
    expect((await db.read()).get('example.test')).toMatchObject({ phpVersion: '8.1', cacheType: 'wpfc' });
  });

  it('knows no site when the file does not exist (WordOps creates it on its first run)', async () => {
    expect((await siteDb(file).read()).size).toBe(0);
  });

  it('never writes the file, and reads one it may not write', async () => {
    sqlite(file, `${WORDOPS_DDL}\n${recordedRows().map(insert).join('\n')}`);
    chmodSync(file, 0o444);
    const before = statSync(file);
    const bytes = readFileSync(file);
    expect((await siteDb(file).read()).size).toBe(2);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
  });

  it('waits while WordOps holds a write lock, then reads what it committed', async () => {
    sqlite(file, `${WORDOPS_DDL}\n${recordedRows().map(insert).join('\n')}`);
    const writer = holdWriteLock(file, "UPDATE sites SET php_version = '8.3' WHERE sitename = 'example.test';");
    await writer.locked;
    const started = performance.now();
    setTimeout(() => writer.commit(), 300);
    const sites = await siteDb(file).read();
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
    expect(sites.get('example.test')?.phpVersion).toBe('8.3');
    await writer.done;
  });

  it('says the database stayed busy when a write lock outlasts the busy timeout', async () => {
    sqlite(file, WORDOPS_DDL);
    const writer = holdWriteLock(file, 'DELETE FROM sites;');
    await writer.locked;
    try {
      await expect(siteDb(file, 200).read()).rejects.toThrow(/cannot read WordOps' site database .*database is locked/);
    } finally {
      writer.commit();
      await writer.done;
    }
  });

  it('reads a database in WAL mode, rows still in the -wal file included', async () => {
    sqlite(file, `PRAGMA journal_mode=WAL;\n${WORDOPS_DDL}\n${recordedRows().map(insert).join('\n')}`);
    const writer = holdWriteLock(file, "UPDATE sites SET cache_type = 'wpredis' WHERE sitename = 'example.test';", false);
    await writer.locked;
    try {
      // The open connection keeps the committed row in -wal (no checkpoint until it closes).
      expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);
      expect((await siteDb(file).read()).get('example.test')?.cacheType).toBe('wpredis');
    } finally {
      writer.commit();
      await writer.done;
    }
  });

  it('runs the shell only when the file changed', async () => {
    sqlite(file, `${WORDOPS_DDL}\n${recordedRows().map(insert).join('\n')}`);
    let spawns = 0;
    const db = createWordOpsSiteDb(file, {
      sqlite3: 'sqlite3',
      run: (cmd, args, options) => {
        spawns++;
        return runCommand(cmd, args, options);
      },
    });
    await db.read();
    await db.read();
    expect(spawns).toBe(1);
    sqlite(file, "UPDATE sites SET php_version = '8.1' WHERE sitename = 'example.test';");
    expect((await db.read()).get('example.test')?.phpVersion).toBe('8.1');
    expect(spawns).toBe(2);
  });

  it("says what is wrong when the shell is missing or the table is not WordOps'", async () => {
    sqlite(file, WORDOPS_DDL);
    await expect(createWordOpsSiteDb(file, { sqlite3: '/nonexistent/sqlite3', run: runCommand }).read()).rejects.toThrow(
      /\/nonexistent\/sqlite3 could not be started \(WordOps installs the sqlite3 package\)/,
    );
    const other = path.join(dir, 'other.db');
    sqlite(other, 'CREATE TABLE sites (id INTEGER PRIMARY KEY, sitename VARCHAR);');
    await expect(siteDb(other).read()).rejects.toThrow(/no such column/);
  });
});
