import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineFor, initSites, runAgent, WP655 } from './support/agent.js';
import { watchCurrent } from './support/current-watch.js';
import { firstSeen, startLoad, type LoadReport } from './support/load.js';
import { generatorVersion, injectFatal, repackRelease } from './support/releases.js';
import { startStack, type Stack } from './support/stack.js';

const SITES = ['a.test', 'b.test', 'c.test'];

function printLoad(label: string, report: LoadReport): void {
  const errors = [
    ...new Set((report.samples ?? []).filter((s) => s.error || s.status < 200 || s.status > 299).map((s) => s.error ?? `HTTP ${s.status}`)),
  ];
  console.log(
    `${label}: ${report.requests} requests, ${report.non2xx} non-2xx, ${report.errors} errors, p99 ${report.p99Ms.toFixed(1)} ms${errors.length ? ` (${errors.join('; ')})` : ''}`,
  );
}

/**
 * Load for the zero-downtime checks. What must be zero is failed answers and
 * connection errors; a slow answer on a busy 2-core CI machine is neither, so the
 * per-request timeout is far above any latency seen (p99 is printed).
 */
const LOAD = { concurrency: 6, maxSeconds: 240, timeoutMs: 120_000 };

describe('core update and rollback on a real nginx + PHP-FPM + MariaDB stack', () => {
  let stack: Stack;
  const serving = async (domain: string) => generatorVersion((await stack.request(domain, '/')).body);
  const dbVersion = async (domain: string) => (await engineFor(stack).probe.report(domain)).db_version;

  beforeAll(async () => {
    stack = await startStack();
    await initSites(stack, SITES);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('update switches the canary first, then every site, with zero failed requests, and upgrades each DB', async () => {
    const load = startLoad({ port: stack.port, hosts: SITES, ...LOAD });
    const { result, moves } = await watchCurrent(stack.sharedRoot, load, () =>
      runAgent(stack, ['update', '--release', WP655, '--canary', 'a.test']),
    );
    const report = await load.stop();
    printLoad('load during update', report);
    expect(result.code, result.stderr).toBe(0);

    const switched = moves.find((m) => m.target.startsWith('releases/wp-6.5.5'));
    expect(switched, 'current never moved to 6.5.5').toBeDefined();
    const canaryFirst = firstSeen(report, 'a.test', '6.5.5');
    expect(canaryFirst, 'the canary never served 6.5.5 under load').toBeDefined();
    expect(canaryFirst as number).toBeLessThan(switched?.at as number);
    for (const domain of ['b.test', 'c.test']) {
      expect(firstSeen(report, domain, '6.5.5') ?? Infinity).toBeGreaterThan(switched?.at as number);
    }
    expect(report.non2xx).toBe(0);
    expect(report.errors).toBe(0);

    for (const domain of SITES) {
      expect(await serving(domain)).toBe('6.5.5');
      expect(await dbVersion(domain)).toBe(57155);
    }
    const snapshots = readdirSync(path.join(stack.stateDir, 'snapshots'));
    expect(snapshots).toHaveLength(1);
    expect(readdirSync(path.join(stack.stateDir, 'snapshots', snapshots[0] as string)).sort()).toEqual(SITES.map((d) => `${d}.sql`));
  });

  it('rollback across the schema change is refused without --restore-db, and nothing moves', async () => {
    const before = readlinkSync(path.join(stack.sharedRoot, 'current'));
    const refused = await runAgent(stack, ['rollback']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('crosses a DB schema change (57155 -> 56657); rerun with --restore-db');
    expect(readlinkSync(path.join(stack.sharedRoot, 'current'))).toBe(before);
  });

  it('rollback --restore-db returns every site to 6.4.5 and db 56657 with zero failed requests', async () => {
    const load = startLoad({ port: stack.port, hosts: SITES, ...LOAD });
    const rolled = await runAgent(stack, ['rollback', '--restore-db']);
    const report = await load.stop();
    printLoad('load during rollback', report);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stderr).toContain('every write since then is lost');
    expect(report.non2xx).toBe(0);
    expect(report.errors).toBe(0);
    for (const domain of SITES) {
      expect(await serving(domain)).toBe('6.4.5');
      expect(await dbVersion(domain)).toBe(56657);
    }
  });

  it('a broken release fails the canary check: current never moves and no other site ever serves it', async () => {
    const broken = repackRelease(WP655, injectFatal);
    const load = startLoad({ port: stack.port, hosts: ['b.test', 'c.test'], ...LOAD, concurrency: 4 });
    const { result, moves } = await watchCurrent(stack.sharedRoot, load, () =>
      runAgent(stack, ['update', '--release', broken.file, '--sha256', broken.sha256, '--canary', 'a.test']),
    );
    const report = await load.stop();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/canary failed: .*a\.test/);
    expect(moves).toHaveLength(1);
    expect(Object.keys(report.byHost['b.test']?.versions ?? {})).toEqual(['6.4.5']);
    expect(Object.keys(report.byHost['c.test']?.versions ?? {})).toEqual(['6.4.5']);
    expect(report.non2xx + report.errors).toBe(0);
    expect(readlinkSync(path.join(stack.sharedRoot, 'canary'))).toBe(moves[0]?.target);
    expect(await serving('a.test')).toBe('6.4.5');
    expect(await dbVersion('a.test')).toBe(56657);
  });

  it('a DB upgrade failing for one site after the switch reverts every site to 6.4.5 with its DB intact', async () => {
    const config = readFileSync(path.join(stack.sitesRoot, 'b.test', 'wp-config.php'), 'utf8');
    const dbName = /define\(\s*'DB_NAME',\s*'([^']+)'/.exec(config)?.[1];
    const dbUser = /define\(\s*'DB_USER',\s*'([^']+)'/.exec(config)?.[1];
    expect(dbName).toBeDefined();
    expect(dbUser).toBeDefined();
    // A real DB-side failure: the row update that completes WordPress' upgrade is refused.
    await stack.sql(
      'DELIMITER //\n' +
        // Defined as the site's own user, so the site can dump and restore its DB with it.
        `CREATE DEFINER=\`${dbUser}\`@\`127.0.0.1\` TRIGGER \`${dbName}\`.wofleet_block_upgrade BEFORE UPDATE ON \`${dbName}\`.wp_options FOR EACH ROW ` +
        `BEGIN IF NEW.option_name = 'db_version' AND NEW.option_value = '57155' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'upgrade blocked by test'; END IF; END//\nDELIMITER ;`,
    );
    try {
      const failed = await runAgent(stack, ['update', '--release', WP655, '--canary', 'a.test']);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/upgrade-db failed: b\.test: db_version is 56657, expected 57155; reverted/);
      for (const domain of SITES) {
        expect(await serving(domain)).toBe('6.4.5');
        expect(await dbVersion(domain)).toBe(56657);
        expect((await stack.request(domain, '/')).body).toContain('Hello world!');
      }
      expect(readlinkSync(path.join(stack.sharedRoot, 'current'))).toMatch(/^releases\/wp-6\.4\.5-/);
    } finally {
      await stack.sql(`DROP TRIGGER IF EXISTS \`${dbName}\`.wofleet_block_upgrade`);
    }
  });
});
