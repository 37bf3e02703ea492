import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './agent.js';
import { cleanStaleServers } from './realwo.js';

/**
 * The e2e project needs nginx, PHP-FPM 8.2, MariaDB and nats-server: install what is
 * missing and start MariaDB when it is not running (deploy/dev/services.sh, idempotent;
 * `pnpm test` runs it first too, for the unit tests), and stop MariaDB again afterwards
 * if it was started for this run. nginx, PHP-FPM and
 * NATS run as private instances per test file and are stopped by the tests.
 */
const STARTED_MARKER = '/run/wofleet-dev/started-mariadb';

export async function setup(): Promise<void> {
  execFileSync('bash', [path.join(REPO_ROOT, 'deploy/dev/services.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
  await cleanStaleServers();
}

export function teardown(): void {
  if (!existsSync(STARTED_MARKER)) return;
  execFileSync('start-stop-daemon', ['--stop', '--oknodo', '--retry', '30', '--exec', '/usr/sbin/mariadbd'], { stdio: 'inherit' });
  rmSync(STARTED_MARKER, { force: true });
}
