/**
 * The serving proof on real WordOps 3.22 (tests/support/realwo.ts): each breakage fixture
 * (tests/fixtures/breakage) works on 6.4.5 and breaks on 6.5.5. On a real WordOps server,
 * through WordOps' own vhosts, PHP-FPM pools and FastCGI page cache:
 *  - `wofleet-agent update` stops at the canary site with the site, the plugin or theme and
 *    the PHP error on one line, `current` never moves, and a load generator on the other
 *    sites never sees 6.5.5;
 *  - a campaign over two real WordOps servers halts at the canary server, rolls it back,
 *    and `rollout status` says why.
 */
import { readFile } from 'node:fs/promises';
import { readlinkSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, WP655 } from './support/agent.js';
import { watchCurrent } from './support/current-watch.js';
import { startLoad } from './support/load.js';
import { startRealWoFleet, type RealWoFleet } from './support/realwo-fleet.js';
import { type RealWoServer, startRealWoServerWithSites } from './support/realwo.js';
import { generatorVersion } from './support/releases.js';
import { Teardown } from './support/teardown.js';

const BREAKAGE = path.join(REPO_ROOT, 'tests/fixtures/breakage');
const SHARED_PLUGINS = '/var/www/shared/wp-content/plugins';
/** What must be zero is failed answers, not slow ones: the timeout is far above any latency seen. */
const LOAD = { concurrency: 4, maxSeconds: 300, timeoutMs: 120_000 };
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs SQL in a WordOps site's own database, with `OPTIONS` standing for its options table:
 * the database name and table prefix are in the site's wp-config.php, one level above htdocs.
 */
/** The options table's name as the shell expands it from the prefix read into $pre. */
const SHELL_OPTIONS_TABLE = '$' + '{pre}options';

async function siteSql(server: RealWoServer, domain: string, sql: string, flags = ''): Promise<string> {
  const config = `/var/www/${domain}/wp-config.php`;
  const r = await server.sh(
    `db=$(sed -n "s/.*define( *'DB_NAME', *'\\([^']*\\)'.*/\\1/p" ${config}) && ` +
      `pre=$(sed -n "s/^\\$table_prefix *= *'\\([^']*\\)'.*/\\1/p" ${config}) && test -n "$db" && test -n "$pre" && ` +
      `mariadb ${flags} "$db" -e "${sql.replaceAll('"', '\\"').replaceAll('OPTIONS', SHELL_OPTIONS_TABLE)}"`,
  );
  expect(r.exitCode, r.stderr).toBe(0);
  return r.stdout;
}

/** PHP's serialize() of a list of strings, as WordPress stores active_plugins. */
const phpSerialize = (list: readonly string[]) =>
  `a:${list.length}:{${list.map((s, i) => `i:${i};s:${Buffer.byteLength(s)}:"${s}";`).join('')}}`;

/** Exactly these plugins active on the site. */
const setPlugins = (server: RealWoServer, domain: string, plugins: readonly string[]) =>
  siteSql(server, domain, `UPDATE OPTIONS SET option_value = '${phpSerialize(plugins)}' WHERE option_name = 'active_plugins'`);

async function activePlugins(server: RealWoServer, domain: string): Promise<string[]> {
  const value = await siteSql(server, domain, "SELECT option_value FROM OPTIONS WHERE option_name = 'active_plugins'", '-N');
  return [...value.matchAll(/s:\d+:"([^"]*)"/g)].map((m) => m[1] as string);
}

/** Copies the breakage plugins into the shared plugins directory, owned as WordOps owns site files. */
async function installFixtures(server: RealWoServer, themeSites: readonly string[]): Promise<void> {
  const themes = themeSites.map(
    (d) =>
      `cp -r ${BREAKAGE}/themes/breakage-theme-fatal /var/www/${d}/htdocs/wp-content/themes/ && chown -R www-data: /var/www/${d}/htdocs/wp-content/themes/breakage-theme-fatal`,
  );
  const r = await server.sh(
    [`cp -r ${BREAKAGE}/plugins/. ${SHARED_PLUGINS}/`, `chown -R www-data: ${SHARED_PLUGINS}`, ...themes].join(' && '),
  );
  expect(r.exitCode, r.stderr).toBe(0);
}

describe('serving proof on a real WordOps server: update stops at the canary site its plugins or theme break', () => {
  const SITES = ['a.test', 'b.test', 'fc.test'];
  let server: RealWoServer;
  const serving = async (domain: string) => generatorVersion((await server.http(domain, '/')).body);

  /** Runs `check` with `plugins` active on the site besides the ones it had. */
  async function withPlugins(domain: string, plugins: readonly string[], check: () => Promise<void>): Promise<void> {
    const before = await activePlugins(server, domain);
    await setPlugins(server, domain, [...before, ...plugins]);
    try {
      await check();
    } finally {
      await setPlugins(server, domain, before);
    }
  }

  /** update under load on the other sites: it must fail at the canary and leave every site as it was. */
  async function expectStoppedAtCanary(canary: string): Promise<string> {
    const others = SITES.filter((s) => s !== canary);
    const load = startLoad({ address: server.address, port: 80, hosts: others, ...LOAD });
    await sleep(1000);
    const { result, moves } = await watchCurrent(server.file('/var/www/shared'), load, async () => {
      const r = await server.agent(['update', '--release', WP655, '--canary', canary]);
      return { code: r.exitCode, signal: null, stdout: r.stdout, stderr: r.stderr };
    });
    await sleep(1000);
    const report = await load.stop();
    expect(result.code, result.stderr).toBe(1);
    expect(moves, 'current moved').toHaveLength(1);
    for (const other of others) expect(Object.keys(report.byHost[other]?.versions ?? {}), other).toEqual(['6.4.5']);
    expect(report.requests).toBeGreaterThan(0);
    expect(report.non2xx + report.errors).toBe(0);
    expect(readlinkSync(server.file('/var/www/shared/canary'))).toBe(moves[0]?.target);
    expect(await serving(canary)).toBe('6.4.5');
    const lines = result.stderr.trim().split('\n');
    const line = lines.find((l) => l.includes('canary failed'));
    expect(line, result.stderr).toBeDefined();
    console.log(`realwo breakage (${canary}): ${report.requests} requests on ${others.join(', ')}, all 6.4.5; agent said: ${line}`);
    return line as string;
  }

  beforeAll(async () => {
    server = await startRealWoServerWithSites('wo-break', [
      ['a.test', []],
      ['b.test', []],
      ['fc.test', ['--wpfc']],
    ]);
    await installFixtures(server, ['a.test']);
    // Warm WordOps' page cache of the --wpfc site: visitors get cached pages during the update.
    await server.http('fc.test', '/');
    expect((await server.http('fc.test', '/')).headers['x-fastcgi-cache']).toBe('HIT');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a plugin that fatals on load on 6.5', async () => {
    await withPlugins('a.test', ['breakage-fatal-on-load/breakage-fatal-on-load.php'], async () => {
      expect(await serving('a.test')).toBe('6.4.5');
      expect(await expectStoppedAtCanary('a.test')).toMatch(
        /a\.test: \/: HTTP 500, plugin breakage-fatal-on-load: PHP Fatal error: +Uncaught Error: Call to undefined function breakage_fixture_helper_removed_in_65\(\) in \S+\/plugins\/breakage-fatal-on-load\/breakage-fatal-on-load\.php:\d+/,
      );
    });
  });

  it('a theme whose functions.php fatals on 6.5', async () => {
    const theme = (name: string) =>
      siteSql(server, 'a.test', `UPDATE OPTIONS SET option_value = '${name}' WHERE option_name IN ('template', 'stylesheet')`);
    const before = (await siteSql(server, 'a.test', "SELECT option_value FROM OPTIONS WHERE option_name = 'stylesheet'", '-N')).trim();
    expect(before).not.toBe('');
    await theme('breakage-theme-fatal');
    try {
      expect(await serving('a.test')).toBe('6.4.5');
      expect(await expectStoppedAtCanary('a.test')).toMatch(
        /a\.test: \/: HTTP 500, theme breakage-theme-fatal: PHP Fatal error: +Uncaught Error: Call to undefined function breakage_fixture_theme_helper_removed_in_65\(\) in \S+\/themes\/breakage-theme-fatal\/functions\.php:\d+/,
      );
    } finally {
      await theme(before);
    }
  });

  it('a plugin that breaks only the front page on 6.5 (through the --wpfc site, whose cache is bypassed, not purged)', async () => {
    await withPlugins('fc.test', ['breakage-front-page-fatal/breakage-front-page-fatal.php'], async () => {
      expect(await serving('fc.test')).toBe('6.4.5');
      expect(await expectStoppedAtCanary('fc.test')).toMatch(
        /fc\.test: \/: HTTP 500, plugin breakage-front-page-fatal: PHP Fatal error: +Uncaught Error: Call to undefined function breakage_fixture_template_helper_removed_in_65\(\)/,
      );
    });
  });

  it('a plugin that floods PHP warnings on 6.5', async () => {
    await withPlugins('b.test', ['breakage-warning-flood/breakage-warning-flood.php'], async () => {
      expect(await serving('b.test')).toBe('6.4.5');
      expect(await expectStoppedAtCanary('b.test')).toMatch(
        /b\.test: \/: HTTP 200, plugin breakage-warning-flood: 200 PHP warnings \(at most \d+\), first: PHP Warning: +Undefined array key "legacy_key_0" in \S+\/breakage-warning-flood\.php:\d+/,
      );
    });
  });

  it('with every breakage gone, the same update passes the proof on every site', async () => {
    const updated = await server.agent(['update', '--release', WP655]);
    expect(updated.exitCode, updated.stderr).toBe(0);
    for (const domain of SITES) expect(await serving(domain)).toBe('6.5.5');
  });
});

describe('a campaign over real WordOps servers halts at the canary server a plugin breaks', () => {
  const SERVERS = ['wo-bk1', 'wo-bk2'];
  const teardown = new Teardown();
  let fleet: RealWoFleet;

  beforeAll(async () => {
    fleet = await startRealWoFleet(
      {
        servers: SERVERS,
        canaries: ['wo-bk1'],
        sites: (server) => [
          { domain: `a.${server}.test`, flags: [] },
          { domain: `b.${server}.test`, flags: ['--wpfc'] },
        ],
        heartbeatSeconds: 2,
      },
      teardown,
    );
    // The canary server's sites both run a plugin that fatals on 6.5: whichever site the agent picks fails.
    const canary = fleet.servers[0];
    if (!canary) throw new Error('the fleet has two servers');
    await installFixtures(canary.server, []);
    for (const domain of canary.sites) {
      await setPlugins(canary.server, domain, [
        ...(await activePlugins(canary.server, domain)),
        'breakage-fatal-on-load/breakage-fatal-on-load.php',
      ]);
    }
  });
  afterAll(async () => {
    await teardown.run();
  });

  it('the canary server fails its canary site, is rolled back, no server moves, and rollout status says why', async () => {
    const { plane } = fleet;
    const sha1 = (await readFile(`${WP655}.sha1`, 'utf8')).trim().split(/\s+/)[0] ?? '';
    await plane.wofleetJson(['releases', 'add', '6.5.5', '--url', pathToFileURL(WP655).href, '--sha1', sha1]);
    const started = await plane.wofleetJson<{ id: string }>([
      'rollout',
      'start',
      '--release',
      '6.5.5',
      '--canary-site',
      'auto',
      '--waves',
      '1,1',
      '--min-healthy',
      '5s',
      '--healthy-deadline',
      '3m',
    ]);
    type View = { state: string; reason?: string; targets: { server: string; state: string; reason?: string }[] };
    let view = await plane.wofleetJson<View>(['rollout', 'status', started.id]);
    for (const deadline = Date.now() + 600_000; !['failed', 'succeeded', 'aborted'].includes(view.state) && Date.now() < deadline; ) {
      await sleep(2000);
      view = await plane.wofleetJson<View>(['rollout', 'status', started.id]);
    }
    expect(view.state, JSON.stringify(view)).toBe('failed');
    const states = Object.fromEntries(view.targets.map((t) => [t.server, t.state]));
    expect(states).toEqual({ 'wo-bk1': expect.stringMatching(/^(failed|rolled-back)$/), 'wo-bk2': 'skipped' });
    const reason = view.targets.find((t) => t.server === 'wo-bk1')?.reason ?? '';
    expect(reason).toMatch(/canary failed/);
    expect(reason).toMatch(
      /plugin breakage-fatal-on-load: PHP Fatal error: +Uncaught Error: Call to undefined function breakage_fixture_helper_removed_in_65\(\)/,
    );
    const human = await plane.wofleet(['rollout', 'status', started.id]);
    expect(human.stdout).toContain('plugin breakage-fatal-on-load');
    console.log(`realwo campaign: ${view.state} (${view.reason}); wo-bk1: ${reason}`);
    // Nothing serves 6.5.5: the canary server went back (its agent undid the canary), the other never moved.
    for (const { server, sites } of fleet.servers) {
      for (const domain of sites) expect(generatorVersion((await server.http(domain, '/')).body), domain).toBe('6.4.5');
      expect(path.basename(readlinkSync(server.file('/var/www/shared/current')))).toMatch(/^wp-6\.4\.5-/);
    }
  });
});
