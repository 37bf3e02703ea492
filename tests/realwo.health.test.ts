/**
 * Health through the real vhost on a real WordOps 3.22 server: an SSL site (WordOps'
 * own ssl.conf and HTTPS redirect, a self-signed certificate since Let's Encrypt is not
 * reachable), a cached (--wpfc) site whose page cache must never count as proof of a
 * version (nor be purged by the serving proof), and a site an operator changed by hand with
 * `wo site update --wpfc`.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HealthResult, SiteRow } from '@wofleet/agent';
import { REPO_ROOT, WP655 } from './support/agent.js';
import { type RealWoServer, startRealWoServerWithSites } from './support/realwo.js';
import { generatorVersion } from './support/releases.js';

const SELF_SIGNED_SSL = path.join(REPO_ROOT, 'tests/support/realwo/ssl-self-signed.py');

describe('health through the real vhosts of a WordOps server', () => {
  let server: RealWoServer;
  const siteCheck = (health: HealthResult, domain: string) => health.checks.find((c) => c.name === `site ${domain}`);

  beforeAll(async () => {
    server = await startRealWoServerWithSites('wo-health', [
      ['ssl.test', []],
      ['fc.test', ['--wpfc']],
    ]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('follows WordOps HTTPS redirect of an SSL site and reports it healthy, with SSL on', async () => {
    const ssl = await server.exec(['/opt/wo/bin/python3', SELF_SIGNED_SSL, 'ssl.test']);
    expect(ssl.exitCode, ssl.stderr + ssl.stdout).toBe(0);
    const plain = await server.http('ssl.test', '/');
    expect(plain.status).toBe(301);
    expect(plain.headers.location).toBe('https://ssl.test/');

    const health = await server.agentJson<HealthResult>(['health', '--site', 'ssl.test']);
    expect(health.level, JSON.stringify(health.checks)).toBe('ok');
    expect(siteCheck(health, 'ssl.test')?.detail).toMatch(/^WordPress 6\.4\.5, db 56657,/);
    const rows = await server.agentJson<SiteRow[]>(['list']);
    expect(rows.find((r) => r.domain === 'ssl.test')).toMatchObject({ ssl: true, health: 'healthy' });
    expect((await server.wo(['site', 'info', 'ssl.test'])).stdout).toMatch(/SSL\t+\s*enabled/);
  });

  it('an update switches the SSL site and the cached site, judged by PHP, never by a cached page', async () => {
    await server.http('fc.test', '/');
    expect((await server.http('fc.test', '/')).headers['x-fastcgi-cache']).toBe('HIT');
    const update = await server.agent(['update', '--release', WP655]);
    expect(update.exitCode, update.stderr).toBe(0);
    const health = await server.agentJson<HealthResult>(['health']);
    expect(health.level, JSON.stringify(health.checks)).toBe('ok');
    for (const domain of ['ssl.test', 'fc.test']) expect(siteCheck(health, domain)?.detail).toMatch(/^WordPress 6\.5\.5, db 57155,/);
    const page = await server.exec(['curl', '-sk', '--resolve', 'ssl.test:443:127.0.0.2', 'https://ssl.test/']);
    expect(generatorVersion(page.stdout)).toBe('6.5.5');
    expect(generatorVersion((await server.http('fc.test', '/')).body)).toBe('6.5.5');
  });

  it('health --deep proves the SSL site and the cached site through the real vhosts, and visitors keep their cached page', async () => {
    await server.http('fc.test', '/');
    expect((await server.http('fc.test', '/')).headers['x-fastcgi-cache']).toBe('HIT');
    const deep = await server.agentJson<HealthResult>(['health', '--deep']);
    expect(deep.level, JSON.stringify(deep.checks)).toBe('ok');
    for (const domain of ['ssl.test', 'fc.test']) {
      const proof = deep.proofs?.find((p) => p.site === domain);
      expect(proof, domain).toMatchObject({ ok: true, dbVersion: 57155 });
      expect(proof?.release).toMatch(/^wp-6\.5\.5-/);
    }
    // The proof bypassed the FastCGI cache without purging or replacing the visitors' page.
    expect((await server.http('fc.test', '/')).headers['x-fastcgi-cache']).toBe('HIT');
  });

  it('wo site update --wpfc by hand: the site stays on the shared core; health names the ownership WordOps changed, init --force repairs it', async () => {
    const r = await server.wo(['site', 'update', 'ssl.test', '--wpfc']);
    expect(r.exitCode, r.stdout).toBe(0);
    expect((await server.wo(['site', 'info', 'ssl.test'])).stdout).toMatch(/Nginx configuration\t\s*wp wpfc/);
    const rows = await server.agentJson<SiteRow[]>(['list']);
    expect(rows.find((row) => row.domain === 'ssl.test')).toMatchObject({ cache: 'wpfc', ssl: true, version: '6.5.5', health: 'healthy' });
    // WordOps chowns the site's tree to www-data following the links into the shared core.
    const degraded = await server.agent(['health', '--json']);
    expect(degraded.exitCode).toBe(2);
    const ownership = (JSON.parse(degraded.stdout) as HealthResult).checks.find((c) => c.name === 'shared ownership');
    expect(ownership).toMatchObject({ level: 'degraded' });
    expect(ownership?.detail).toContain("run 'init --force'");
    const repaired = await server.agent(['init', '--force']);
    expect(repaired.exitCode, repaired.stderr).toBe(0);
    const health = await server.agentJson<HealthResult>(['health']);
    expect(health.level, JSON.stringify(health.checks)).toBe('ok');
    expect(generatorVersion((await server.exec(['curl', '-sk', '--resolve', 'ssl.test:443:127.0.0.2', 'https://ssl.test/'])).stdout)).toBe(
      '6.5.5',
    );
  });
});
