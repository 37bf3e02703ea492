/**
 * The agent on a real WordOps 3.22 server (tests/support/realwo.ts): sites made by the
 * real `wo site create`, served by WordOps' own vhosts, FastCGI page cache and PHP-FPM
 * pools, deleted by the real `wo site delete`. WordOps exits 0 on many failures, so
 * every check reads what is on disk, in MariaDB and in WordOps' dbase.db.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthResult, SiteRow, StatusResult } from '@wofleet/agent';
import { WP645, WP655 } from './support/agent.js';
import { convergence, startLoad, type LoadReport } from './support/load.js';
import { startRealWoServer, type ExecResult, type RealWoServer } from './support/realwo.js';
import { generatorVersion } from './support/releases.js';

/** What WordOps knows and serves of a site, read from the server itself. */
async function siteTraces(server: RealWoServer, domain: string) {
  const r = await server.sh(
    `sqlite3 /var/lib/wo/dbase.db "select count(*) from sites where sitename='${domain}'";` +
      `ls -d /var/www/${domain} /etc/nginx/sites-available/${domain} /etc/nginx/sites-enabled/${domain} 2>/dev/null;` +
      `mariadb -N -e "show databases" | grep -c "^${domain.replace(/[.-]/g, '_')}" || true`,
  );
  const [rows, ...rest] = r.stdout.trim().split('\n');
  return { dbaseRows: Number(rows), paths: rest.slice(0, -1), databases: Number(rest.at(-1)) };
}

const nothingLeft = { dbaseRows: 0, paths: [], databases: 0 };

/** `wo site info` as the parser reads it: type and cache from `Nginx configuration`, PHP, SSL. */
async function woInfo(server: RealWoServer, domain: string) {
  const out = (await server.wo(['site', 'info', domain])).stdout;
  const nginx = /Nginx configuration\t\s*(\S+) (\S+)/.exec(out);
  return { type: nginx?.[1], cache: nginx?.[2], php: /PHP Version\t+\s*(\S+)/.exec(out)?.[1], ssl: /SSL\t+\s*enabled/.test(out) };
}

function oneLine(r: ExecResult): string {
  return r.stderr.trim();
}

/** sha256 of every file under a directory inside the server, by relative path. */
async function treeDigest(server: RealWoServer, dir: string): Promise<string> {
  const r = await server.sh(`cd ${dir} && find . \\( -type f -o -type l \\) ! -path './logs/*' -print0 | sort -z | xargs -0 sha256sum`);
  expect(r.exitCode, r.stderr).toBe(0);
  return createHash('sha256').update(r.stdout).digest('hex');
}

function printLoad(label: string, report: LoadReport): void {
  console.log(
    `${label}: ${report.requests} requests, ${report.non2xx} non-2xx, ${report.errors} errors, p99 ${report.p99Ms.toFixed(1)} ms`,
  );
}

describe('the agent on a real WordOps 3.22 server', () => {
  let server: RealWoServer;
  const version = async (domain: string) => generatorVersion((await server.http(domain, '/')).body);

  beforeAll(async () => {
    server = await startRealWoServer({ name: 'wo-sites' });
    const init = await server.agent(['init', '--release', WP645]);
    expect(init.exitCode, init.stderr).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('create --wp and --wpfc end on the shared core although wo downloads the latest WordPress', async () => {
    for (const [domain, flags] of [
      ['a.test', []],
      ['b.test', []],
      ['fc.test', ['--wpfc']],
    ] as const) {
      const created = await server.agent(['create', domain, ...flags]);
      expect(created.exitCode, created.stderr).toBe(0);
      expect(readlinkSync(server.file(`/var/www/${domain}/htdocs/wp`))).toBe('/var/www/shared/current');
      expect(await version(domain)).toBe('6.4.5');
    }
    // The download was pinned to the shared core's version, so the schema is the shared core's.
    const health = await server.agentJson<HealthResult>(['health']);
    expect(health.level, JSON.stringify(health.checks)).toBe('ok');
    for (const domain of ['a.test', 'b.test', 'fc.test']) {
      expect(health.checks.find((c) => c.name === `site ${domain}`)?.detail).toMatch(/^WordPress 6\.4\.5, db 56657,/);
    }
  });

  it('list, status and health --json report the cache type, PHP version and SSL that wo site info shows', async () => {
    const rows = await server.agentJson<SiteRow[]>(['list']);
    expect(rows.map((r) => r.domain)).toEqual(['a.test', 'b.test', 'fc.test']);
    for (const row of rows) {
      const info = await woInfo(server, row.domain);
      expect(info.type).toBe('wp');
      expect({ cache: row.cache, php: row.php, ssl: row.ssl }).toEqual({ cache: info.cache, php: info.php, ssl: info.ssl });
    }
    expect(rows.find((r) => r.domain === 'fc.test')?.cache).toBe('wpfc');
    // status --json and health --json carry the same facts.
    const fromList = rows.map((r) => ({ domain: r.domain, php: r.php, cache: r.cache, ssl: r.ssl }));
    expect((await server.agentJson<StatusResult>(['status'])).siteFacts).toEqual(fromList);
    expect((await server.agentJson<HealthResult>(['health'])).siteFacts).toEqual(fromList);
  });

  it('refuses inv@lid_domain, which wo site create accepts', async () => {
    const r = await server.agent(['create', 'inv@lid_domain']);
    expect(r.exitCode).toBe(2);
    expect(oneLine(r)).toMatch(/^wofleet-agent: .*inv@lid_domain/);
    expect(await siteTraces(server, 'inv@lid_domain')).toEqual(nothingLeft);
  });

  it('--wpredis and --php83, which fail in real wo here, fail with a clear message and leave nothing behind', async () => {
    for (const [domain, flag] of [
      ['redis.test', '--wpredis'],
      ['php83.test', '--php83'],
    ] as const) {
      const r = await server.agent(['create', domain, flag]);
      expect(r.exitCode, r.stdout).toBe(1);
      // WordOps' own red error lines, not its pointer to the log alone.
      expect(oneLine(r).split('\n').at(-1)).toMatch(
        new RegExp(
          `^wofleet-agent: error: create ${domain} failed: wo site create ${domain} --wp ${flag} .*exited with code 1: .+ \\(WordOps' log: /var/log/wo/wordops\\.log\\); site removed again$`,
        ),
      );
      expect(await siteTraces(server, domain)).toEqual(nothingLeft);
    }
  });

  it('convert: a site made by wo site create on the same core converts and reverts exactly; a newer core is refused in one line', async () => {
    // The chroot's WP-CLI downloads 6.5.5 ("the latest"); this pins 6.4.5 for one create, as an older site would be.
    await server.sh(`printf 'core download:\\n  version: 6.4.5\\n' > /root/pin-645.yml`);
    const made = await server.wo(['site', 'create', 'old.test', '--wp'], { env: { WP_CLI_CONFIG_PATH: '/root/pin-645.yml' } });
    expect(made.stdout).toContain('Successfully created site http://old.test');
    await server.sh(
      'mkdir -p /var/www/old.test/htdocs/wp-content/uploads/2026 && echo photo > /var/www/old.test/htdocs/wp-content/uploads/2026/a.jpg',
    );
    const before = await treeDigest(server, '/var/www/old.test');

    const converted = await server.agent(['convert', 'old.test']);
    expect(converted.exitCode, converted.stderr).toBe(0);
    expect(await version('old.test')).toBe('6.4.5');
    expect(readlinkSync(server.file('/var/www/old.test/htdocs/wp'))).toBe('/var/www/shared/current');
    expect(readFileSync(server.file('/var/www/old.test/htdocs/wp-content/uploads/2026/a.jpg'), 'utf8')).toBe('photo\n');
    expect((await server.http('old.test', '/wp-content/uploads/2026/a.jpg')).body).toBe('photo\n');

    const reverted = await server.agent(['convert', '--revert', 'old.test']);
    expect(reverted.exitCode, reverted.stderr).toBe(0);
    expect(await treeDigest(server, '/var/www/old.test')).toBe(before);
    expect(await version('old.test')).toBe('6.4.5');

    const newer = await server.wo(['site', 'create', 'new.test', '--wp']);
    expect(newer.stdout).toContain('Successfully created site http://new.test');
    const refused = await server.agent(['convert', 'new.test']);
    expect(refused.exitCode).toBe(1);
    expect(oneLine(refused)).toBe(
      'wofleet-agent: error: new.test runs WordPress 6.5.5, newer than the shared core 6.4.5: update the shared core first',
    );
    expect(await version('new.test')).toBe('6.5.5');
    for (const domain of ['old.test', 'new.test']) await server.wo(['site', 'delete', domain, '--no-prompt']);
  });

  it('update 6.4.5 -> 6.5.5 under load through the real vhosts: no failed request, every site (page cache too) on 6.5.5; then rollback', async () => {
    const sites = ['a.test', 'b.test', 'fc.test'];
    // Warm WordOps' FastCGI cache: the second answer for fc.test comes from the cache.
    await server.http('fc.test', '/');
    const cached = await server.http('fc.test', '/');
    expect(cached.headers['x-fastcgi-cache']).toBe('HIT');
    expect(generatorVersion(cached.body)).toBe('6.4.5');

    for (const [target, release] of [
      ['6.5.5', ['update', '--release', WP655]],
      ['6.4.5', ['rollback', '--restore-db']],
    ] as const) {
      const load = startLoad({ address: server.address, port: 80, hosts: sites, concurrency: 6, maxSeconds: 300, timeoutMs: 120_000 });
      await new Promise((r) => setTimeout(r, 1500));
      const currentLink = server.file('/var/www/shared/current');
      const before = readlinkSync(currentLink);
      let switchedAt: number | undefined;
      const watcher = setInterval(() => {
        if (switchedAt === undefined && readlinkSync(currentLink) !== before) switchedAt = load.now();
      }, 2);
      const run = await server.agent([...release]);
      clearInterval(watcher);
      await new Promise((r) => setTimeout(r, 1500));
      const report = await load.stop();
      expect(run.exitCode, run.stderr).toBe(0);
      printLoad(`real WordOps, ${release[0]} to ${target}`, report);
      expect(report.errors).toBe(0);
      expect(report.non2xx).toBe(0);
      expect(switchedAt).toBeDefined();
      const conv = convergence(report, switchedAt as number, target, sites);
      console.log(
        `${release[0]}: every site on ${target} through nginx ${conv.allNewMs?.toFixed(0)} ms after the switch; per site:`,
        Object.fromEntries(
          sites.map((s) => [
            s,
            conv.byHost[s]?.convergedAt !== undefined
              ? Math.round((conv.byHost[s]?.convergedAt as number) - (switchedAt as number))
              : 'never',
          ]),
        ),
      );
      expect(conv.allNewMs).toBeDefined();
      for (const domain of sites) expect(await version(domain)).toBe(target);
      // The page cache holds the new core's page, not the one rendered before the switch.
      await server.http('fc.test', '/');
      const again = await server.http('fc.test', '/');
      expect(again.headers['x-fastcgi-cache']).toBe('HIT');
      expect(generatorVersion(again.body)).toBe(target);
    }
  });

  it('remove D and remove --all go through real wo site delete and leave nothing', async () => {
    for (const domain of ['a.test', 'b.test', 'fc.test']) {
      expect(await siteTraces(server, domain)).toMatchObject({ dbaseRows: 1, databases: 1 });
      const r = await server.agent(['remove', domain]);
      expect(r.exitCode, r.stderr).toBe(0);
      expect(await siteTraces(server, domain)).toEqual(nothingLeft);
    }
    const all = await server.agent(['remove', '--all']);
    expect(all.exitCode, all.stderr).toBe(0);
    expect((await server.sh('ls /var/www/shared 2>&1; sqlite3 /var/lib/wo/dbase.db "select count(*) from sites"')).stdout).toMatch(
      /No such file or directory\n0\n$/,
    );
  });
});
