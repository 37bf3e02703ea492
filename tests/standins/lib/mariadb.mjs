// Site databases in MariaDB, as WordOps makes them: one database and one user per
// site, names derived from the domain plus a random suffix. SQL goes to the mariadb
// client on stdin; the password through MYSQL_PWD, never argv.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { run } from './run.mjs';

/** Hosts every site user is created for: TCP from loopback (skip-name-resolve) and the socket. */
export const GRANT_HOSTS = ['localhost', '127.0.0.1'];

export function randomToken(length, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789') {
  const bytes = crypto.randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** `a.test` -> db `a_test_k3j9x2`, user `a_test_q8v1z0`: unique per site, safe as identifiers. */
export function siteDatabaseNames(domain) {
  const base = domain.replace(/[^a-z0-9]/g, '_').slice(0, 16);
  return {
    dbName: `${base}_${randomToken(6)}`,
    dbUser: `${base.slice(0, 12)}_${randomToken(6)}`,
    dbPassword: randomToken(24, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'),
  };
}

function identifier(name) {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`unsafe MariaDB name: ${name}`);
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

/** Records the names first (so the stack can drop them even if we die half-way), then creates. */
export function createSiteDatabase(config, { dbName, dbUser, dbPassword }) {
  fs.appendFileSync(config.dbLedger, `${JSON.stringify({ database: dbName, user: dbUser })}\n`);
  const db = identifier(dbName);
  const user = identifier(dbUser);
  const statements = [`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`];
  for (const host of GRANT_HOSTS) {
    statements.push(`CREATE USER ${quote(user)}@${quote(host)} IDENTIFIED BY ${quote(dbPassword)};`);
    statements.push(`GRANT ALL PRIVILEGES ON \`${db}\`.* TO ${quote(user)}@${quote(host)};`);
  }
  mysqlAdmin(config.mysql, statements.join('\n'));
}

export function dropSiteDatabase(config, dbName, dbUser) {
  const statements = [];
  if (dbName) statements.push(`DROP DATABASE IF EXISTS \`${identifier(dbName)}\`;`);
  if (dbUser) {
    for (const host of GRANT_HOSTS) statements.push(`DROP USER IF EXISTS ${quote(identifier(dbUser))}@${quote(host)};`);
  }
  if (statements.length > 0) mysqlAdmin(config.mysql, statements.join('\n'));
}
