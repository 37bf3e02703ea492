// Site databases in MariaDB, as WordOps makes them: one database and one user per
// site, names derived from the domain plus a random suffix. SQL goes to the mariadb
// client on stdin; the password through MYSQL_PWD, never argv.
import fs from 'node:fs';
import { madeUp } from './made-up.mjs';
import { run } from './run.mjs';

/** Hosts every site user is created for: TCP from loopback (skip-name-resolve) and the socket. */
export const GRANT_HOSTS = ['localhost', '127.0.0.1'];

/**
 * WordOps' names (site_functions.setupdatabase): database = the domain with dots and dashes
 * as underscores, cut at 32, + '_' + 8 made-up characters; user = the domain without dots,
 * dashes and underscores, cut at 12, + 4 made-up characters; password 24 made-up characters.
 */
export function siteDatabaseNames(config, domain) {
  return {
    dbName: `${domain.replace(/[.-]/g, '_').slice(0, 32)}_${madeUp(config, 'dbNameSuffix')}`,
    dbUser: `${domain.replace(/[._-]/g, '').slice(0, 12)}${madeUp(config, 'dbUserSuffix')}`,
    dbPassword: madeUp(config, 'dbPassword'),
  };
}

/** A backquoted MariaDB name: WordOps accepts any domain (`inv@lid_domain`), so only backquotes and NUL are refused. */
function identifier(name) {
  if (!/^[^`\0]{1,64}$/.test(name)) throw new Error(`unsafe MariaDB name: ${name}`);
  return name;
}

function quote(value) {
  return `'${String(value).replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

/** Runs SQL as the configured admin user; returns the tab-separated result rows. */
export function mysqlAdmin(mysql, sql) {
  const args = ['--protocol=TCP', '-h', mysql.host, '-P', String(mysql.port), '-u', mysql.user, '--batch', '--skip-column-names'];
  return run('mariadb', args, { input: sql, env: mysql.password ? { MYSQL_PWD: mysql.password } : {} }).stdout;
}

/**
 * Records the names first (so the stack can drop them even if we die half-way), then creates.
 * A database of that name already there gets new names, as in WordOps (never touched).
 * Returns the names used.
 */
export function createSiteDatabase(config, names) {
  const taken = mysqlAdmin(config.mysql, `SHOW DATABASES LIKE ${quote(names.dbName.replace(/[\\_%]/g, '\\$&'))};`).trim() !== '';
  const dbName = taken ? `${names.dbName.slice(0, 32)}_${madeUp(config, 'dbNameSuffix')}` : names.dbName;
  const dbUser = taken ? `${dbName.slice(0, 12)}${madeUp(config, 'dbUserSuffix')}` : names.dbUser;
  const { dbPassword } = names;
  fs.appendFileSync(config.dbLedger, `${JSON.stringify({ database: dbName, user: dbUser })}\n`);
  const db = identifier(dbName);
  const user = identifier(dbUser);
  const statements = [`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`];
  for (const host of GRANT_HOSTS) {
    statements.push(`CREATE USER ${quote(user)}@${quote(host)} IDENTIFIED BY ${quote(dbPassword)};`);
    statements.push(`GRANT ALL PRIVILEGES ON \`${db}\`.* TO ${quote(user)}@${quote(host)};`);
  }
  mysqlAdmin(config.mysql, statements.join('\n'));
  return { dbName, dbUser, dbPassword };
}

export function dropSiteDatabase(config, dbName, dbUser) {
  const statements = [];
  if (dbName) statements.push(`DROP DATABASE IF EXISTS \`${identifier(dbName)}\`;`);
  if (dbUser) {
    for (const host of GRANT_HOSTS) statements.push(`DROP USER IF EXISTS ${quote(identifier(dbUser))}@${quote(host)};`);
  }
  if (statements.length > 0) mysqlAdmin(config.mysql, statements.join('\n'));
}

/** `mysqldump --single-transaction --hex-blob DB` as the admin user: the dump's text. */
export function mysqlDump(mysql, dbName) {
  const args = [
    '--protocol=TCP',
    '-h',
    mysql.host,
    '-P',
    String(mysql.port),
    '-u',
    mysql.user,
    '--single-transaction',
    '--hex-blob',
    dbName,
  ];
  return run('mysqldump', args, { env: mysql.password ? { MYSQL_PWD: mysql.password } : {} }).stdout;
}
