// WordOps' site registry: table `sites` in its SQLite file (/var/lib/wo/dbase.db),
// same columns as WordOps' SiteDB model. Driven through the sqlite3 CLI with the SQL
// on stdin; every value is a quoted literal built by sqlString().
import { run } from './run.mjs';

const SCHEMA = `CREATE TABLE IF NOT EXISTS sites (
  id INTEGER NOT NULL PRIMARY KEY,
  sitename VARCHAR UNIQUE,
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
  php_version VARCHAR
);`;

const COLUMNS = [
  'sitename',
  'site_type',
  'cache_type',
  'site_path',
  'created_on',
  'is_enabled',
  'is_ssl',
  'storage_fs',
  'storage_db',
  'db_name',
  'db_user',
  'db_password',
  'db_host',
  'is_hhvm',
  'php_version',
];

/** A SQL string literal: single quotes doubled, NUL refused. */
export function sqlString(value) {
  const text = String(value);
  if (text.includes('\0')) throw new Error('NUL byte in SQL value');
  return `'${text.replaceAll("'", "''")}'`;
}

function literal(value) {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return String(Math.trunc(value));
  return sqlString(value);
}

function sqlite(file, sql, json = false) {
  const args = json ? ['-json', file] : [file];
  return run('sqlite3', args, { input: `.timeout 5000\n${SCHEMA}\n${sql}\n` }).stdout;
}

/** @returns {Record<string, unknown> | undefined} */
export function findSite(file, domain) {
  const out = sqlite(file, `SELECT * FROM sites WHERE sitename = ${sqlString(domain)};`, true).trim();
  return out ? JSON.parse(out)[0] : undefined;
}

/** @returns {Record<string, unknown>[]} */
export function listSites(file) {
  const out = sqlite(file, 'SELECT * FROM sites ORDER BY id;', true).trim();
  return out ? JSON.parse(out) : [];
}

export function insertSite(file, row) {
  const values = COLUMNS.map((c) => literal(row[c]));
  sqlite(file, `INSERT INTO sites (${COLUMNS.join(', ')}) VALUES (${values.join(', ')});`);
}

export function updateSite(file, domain, changes) {
  const sets = Object.entries(changes).map(([column, value]) => {
    if (!COLUMNS.includes(column)) throw new Error(`unknown column ${column}`);
    return `${column} = ${literal(value)}`;
  });
  if (sets.length === 0) return;
  sqlite(file, `UPDATE sites SET ${sets.join(', ')} WHERE sitename = ${sqlString(domain)};`);
}

export function deleteSite(file, domain) {
  sqlite(file, `DELETE FROM sites WHERE sitename = ${sqlString(domain)};`);
}
