import fs from 'node:fs';
import { runCommand } from '@wofleet/shared';

export interface MariaDbAdmin {
  host: string;
  port: number;
  user: string;
  password: string;
}

/** The MariaDB the dev/CI machine runs (deploy/dev/services.sh): root over TCP, no password. */
export const LOCAL_MARIADB: MariaDbAdmin = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };

/** Grant hosts the wo stand-in creates every site user for (tests/standins/lib/mariadb.mjs). */
const GRANT_HOSTS = ['localhost', '127.0.0.1'];

/** Runs SQL (on stdin) as the admin user; returns the tab-separated rows. */
export async function runAdminSql(admin: MariaDbAdmin, sql: string): Promise<string> {
  const args = ['--protocol=TCP', '-h', admin.host, '-P', String(admin.port), '-u', admin.user, '--batch', '--skip-column-names'];
  const { stdout } = await runCommand('mariadb', args, {
    input: sql,
    env: admin.password ? { ...process.env, MYSQL_PWD: admin.password } : undefined,
    timeoutMs: 60_000,
  });
  return stdout;
}

export interface CreatedDatabases {
  databases: string[];
  users: string[];
}

/**
 * Every database and user the wo stand-in created in this stack: its ledger (written
 * before each CREATE) plus the db_name/db_user columns of WordOps' `sites` table.
 */
export async function createdDatabases(ledgerFile: string, woDatabase: string): Promise<CreatedDatabases> {
  const databases = new Set<string>();
  const users = new Set<string>();
  const ledger = fs.existsSync(ledgerFile) ? fs.readFileSync(ledgerFile, 'utf8') : '';
  for (const line of ledger.split('\n').filter(Boolean)) {
    const entry = JSON.parse(line) as { database?: string; user?: string };
    if (entry.database) databases.add(entry.database);
    if (entry.user) users.add(entry.user);
  }
  if (fs.existsSync(woDatabase)) {
    const { stdout } = await runCommand('sqlite3', ['-json', woDatabase], {
      input: '.timeout 5000\nSELECT db_name, db_user FROM sites;\n',
    }).catch(() => ({ stdout: '' })); // no sites table yet: nothing created
    const rows = stdout.trim() ? (JSON.parse(stdout) as { db_name: string | null; db_user: string | null }[]) : [];
    for (const row of rows) {
      if (row.db_name) databases.add(row.db_name);
      if (row.db_user) users.add(row.db_user);
    }
  }
  return { databases: [...databases], users: [...users] };
}

/** Any name WordOps may give (it takes `inv@lid_domain`), short of what would break the quoting below. */
const SAFE_NAME = /^[^`'\\\0]{1,64}$/;

export async function dropDatabases(admin: MariaDbAdmin, created: CreatedDatabases): Promise<void> {
  const statements: string[] = [];
  for (const db of created.databases.filter((n) => SAFE_NAME.test(n))) statements.push(`DROP DATABASE IF EXISTS \`${db}\`;`);
  for (const user of created.users.filter((n) => SAFE_NAME.test(n))) {
    for (const host of GRANT_HOSTS) statements.push(`DROP USER IF EXISTS '${user}'@'${host}';`);
  }
  if (statements.length > 0) await runAdminSql(admin, statements.join('\n'));
}
