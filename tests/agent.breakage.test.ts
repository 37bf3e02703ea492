import { cpSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeAgentConfig, newProofNonce, proofRequest, type SiteProof, sitePaths } from '@wofleet/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineFor, initSites, REPO_ROOT, runAgent, writeAgentConfig, WP655 } from './support/agent.js';
import { watchCurrent } from './support/current-watch.js';
import { startLoad } from './support/load.js';
import { generatorVersion } from './support/releases.js';
import { startStack, type Stack } from './support/stack.js';

const SITES = ['a.test', 'b.test', 'c.test'];
const BREAKAGE = path.join(REPO_ROOT, 'tests/fixtures/breakage');
/** Far above any latency seen: what must be zero is failed answers, not slow ones (see agent.update.test.ts). */
const LOAD = { concurrency: 4, maxSeconds: 240, timeoutMs: 120_000 };

/**
 * The serving proof on a real nginx + PHP-FPM + MariaDB stack: each breakage fixture
 * (tests/fixtures/breakage) works on 6.4.5 and breaks on 6.5.5, so `update` must stop at
 * the canary site with the culprit named, and no other site may ever serve 6.5.5.
 */
describe('serving proof: an update stops at a canary site its plugins or theme break', () => {
  let stack: Stack;
  const serving = async (domain: string) => generatorVersion((await stack.request(domain, '/')).body);
  const dbVersion = async (domain: string) => (await engineFor(stack).probe.report(domain)).db_version;
  const query = (domain: string, sql: string) => {
    const engine = engineFor(stack);
    return engine.wp.query(sitePaths(engine.config, domain), sql);
  };
  /** Activates exactly these plugins on the site, as WordPress stores them. */
  const activatePlugins = (domain: string, plugins: string[]) =>
    query(domain, `UPDATE wp_options SET option_value = '${phpSerialize(plugins)}' WHERE option_name = 'active_plugins'`);
  const useTheme = (domain: string, theme: string) =>
    query(domain, `UPDATE wp_options SET option_value = '${theme}' WHERE option_name IN ('template', 'stylesheet')`);
  /** Runs `check` with these plugins active on the site, then none. */
  async function withPlugins(domain: string, plugins: string[], check: () => Promise<void>): Promise<void> {
    await activatePlugins(domain, plugins);
    try {
      await check();
    } finally {
      await activatePlugins(domain, []);
    }
  }

  /** update --canary CANARY under load on the other sites: it must fail at the canary and leave everything as it was. */
  async function expectStoppedAtCanary(canary: string, args: string[]): Promise<string> {
    const others = SITES.filter((s) => s !== canary);
    const load = startLoad({ port: stack.port, hosts: others, ...LOAD });
    const { result, moves } = await watchCurrent(stack.sharedRoot, load, () => runAgent(stack, ['update', '--release', WP655, ...args]));
    const report = await load.stop();
    expect(result.code, result.stderr).toBe(1);
    expect(moves, 'current moved').toHaveLength(1);
    for (const other of others) expect(Object.keys(report.byHost[other]?.versions ?? {}), other).toEqual(['6.4.5']);
    expect(report.non2xx + report.errors).toBe(0);
    expect(readlinkSync(path.join(stack.sharedRoot, 'canary'))).toBe(moves[0]?.target);
    expect(await serving(canary)).toBe('6.4.5');
    expect(await dbVersion(canary)).toBe(56657);
    const line = result.stderr.split('\n').find((l) => l.includes('canary failed'));
    expect(line, result.stderr).toBeDefined();
    return line as string;
  }

  beforeAll(async () => {
    stack = await startStack();
    await initSites(stack, SITES);
    for (const plugin of ['breakage-fatal-on-load', 'breakage-front-page-fatal', 'breakage-warning-flood']) {
      cpSync(path.join(BREAKAGE, 'plugins', plugin), path.join(stack.sharedRoot, 'wp-content/plugins', plugin), { recursive: true });
    }
    const engine = engineFor(stack);
    cpSync(
      path.join(BREAKAGE, 'themes/breakage-theme-fatal'),
      path.join(sitePaths(engine.config, 'a.test').wpContent, 'themes/breakage-theme-fatal'),
      { recursive: true },
    );
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a plugin that fatals on load on 6.5 stops the update at the canary, naming the plugin and the PHP error', async () => {
    await withPlugins('a.test', ['breakage-fatal-on-load/breakage-fatal-on-load.php'], async () => {
      const line = await expectStoppedAtCanary('a.test', ['--canary', 'a.test']);
      expect(line).toMatch(
        /a\.test: \/: HTTP 500, plugin breakage-fatal-on-load: PHP Fatal error: Uncaught Error: Call to undefined function breakage_fixture_helper_removed_in_65\(\) in \S+\/breakage-fatal-on-load\.php:\d+/,
      );
    });
  });

  it('a theme whose functions.php fatals on 6.5 stops the update at the canary, naming the theme', async () => {
    await useTheme('a.test', 'breakage-theme-fatal');
    try {
      expect(await serving('a.test')).toBe('6.4.5');
      const line = await expectStoppedAtCanary('a.test', ['--canary', 'a.test']);
      expect(line).toMatch(
        /a\.test: \/: HTTP 500, theme breakage-theme-fatal: PHP Fatal error: Uncaught Error: Call to undefined function breakage_fixture_theme_helper_removed_in_65\(\) in \S+\/functions\.php:\d+/,
      );
    } finally {
      await useTheme('a.test', 'twentytwentyfour');
    }
  });

  it('a plugin that breaks only the front page on 6.5 stops the update at the canary', async () => {
    await withPlugins('a.test', ['breakage-front-page-fatal/breakage-front-page-fatal.php'], async () => {
      const line = await expectStoppedAtCanary('a.test', ['--canary', 'a.test']);
      expect(line).toMatch(
        /a\.test: \/: HTTP 500, plugin breakage-front-page-fatal: PHP Fatal error: Uncaught Error: Call to undefined function breakage_fixture_template_helper_removed_in_65\(\)/,
      );
    });
  });

  it('a plugin that floods PHP warnings on 6.5 stops the update at the canary, with the count and the first warning', async () => {
    await withPlugins('a.test', ['breakage-warning-flood/breakage-warning-flood.php'], async () => {
      const line = await expectStoppedAtCanary('a.test', ['--canary', 'a.test']);
      expect(line).toMatch(
        /a\.test: \/: HTTP 200, plugin breakage-warning-flood: 200 PHP warnings \(at most 10\), first: PHP Warning: Undefined array key "legacy_key_0" in \S+\/breakage-warning-flood\.php:\d+/,
      );
    });
  });

  it('with no --canary, the site with the most active plugins is the canary', async () => {
    await withPlugins('b.test', ['breakage-fatal-on-load/breakage-fatal-on-load.php'], async () => {
      const line = await expectStoppedAtCanary('b.test', []);
      expect(line).toMatch(/b\.test: \/: HTTP 500, plugin breakage-fatal-on-load: PHP Fatal error: /);
    });
  });

  it('a healthy update passes the proof on every site, and health --deep --json reports each proof', async () => {
    const updated = await runAgent(stack, ['update', '--release', WP655, '--canary', 'auto']);
    expect(updated.code, updated.stderr).toBe(0);
    for (const domain of SITES) expect(await serving(domain)).toBe('6.5.5');
    const deep = await runAgent(stack, ['health', '--deep', '--json']);
    expect(deep.code, deep.stdout).toBe(0);
    const proofs = (JSON.parse(deep.stdout) as { proofs: SiteProof[] }).proofs;
    expect(proofs.map((p) => p.site).sort()).toEqual(SITES);
    for (const proof of proofs) {
      expect(proof).toMatchObject({ ok: true, dbVersion: 57155 });
      expect(proof.release).toMatch(/^wp-6\.5\.5-/);
      expect(proof.renderMs).toBeGreaterThan(0);
      expect(proof.culprit).toBeUndefined();
      expect(proof.error).toBeUndefined();
    }
  });

  it('health --deep reports a failing proof with its culprit and exits 1', async () => {
    await withPlugins('c.test', ['breakage-warning-flood/breakage-warning-flood.php'], async () => {
      const deep = await runAgent(stack, ['health', '--deep', '--json']);
      expect(deep.code).toBe(1);
      const proofs = (JSON.parse(deep.stdout) as { proofs: SiteProof[] }).proofs;
      const failed = proofs.find((p) => p.site === 'c.test');
      expect(failed).toMatchObject({ ok: false, culprit: 'plugin breakage-warning-flood', dbVersion: 57155 });
      expect(failed?.error).toMatch(/^c\.test: \/: HTTP 200, plugin breakage-warning-flood: 200 PHP warnings/);
      expect(proofs.filter((p) => p.site !== 'c.test').every((p) => p.ok)).toBe(true);
    });
  });

  it('a page a cache stored, holding an earlier proof marker, does not pass the proof', async () => {
    const engine = engineFor(stack);
    // A real proof answer, stored as a static page the way a page cache stores one.
    const request = proofRequest('/', newProofNonce(), await engine.probe.token());
    const answer = await engine.probe.get('a.test', request.path, { headers: request.headers, maxBodyBytes: 4 * 1024 * 1024 });
    expect(answer.body).toContain(`"nonce":"${request.nonce}"`);
    const cached = path.join(sitePaths(engine.config, 'a.test').htdocs, 'cached-front.html');
    writeFileSync(cached, answer.body);
    await writeAgentConfig(stack, { proof: { paths: { 'a.test': ['/cached-front.html'] } } });
    try {
      const deep = await runAgent(stack, ['health', '--deep', '--site', 'a.test', '--json']);
      expect(deep.code).toBe(1);
      const proof = (JSON.parse(deep.stdout) as { proofs: SiteProof[] }).proofs[0];
      expect(proof?.ok).toBe(false);
      expect(proof?.error).toBe(
        "a.test: /cached-front.html: HTTP 200 without this probe's proof marker (a cached page, or the rendering stopped before its end)",
      );
    } finally {
      await writeAgentConfig(stack);
      rmSync(cached);
    }
    expect(makeAgentConfig(stack.agentConfig).proof.paths).toEqual({ default: ['/'] });
  });
});

/** PHP's serialize() of a list of strings (active_plugins). */
function phpSerialize(list: string[]): string {
  return `a:${list.length}:{${list.map((s, i) => `i:${i};s:${Buffer.byteLength(s)}:"${s}";`).join('')}}`;
}
