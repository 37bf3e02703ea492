import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanWoOutput, parseSiteInfo } from '../agent/src/sites/wordops.js';
import { startFleet, type Fleet, type FleetAgent } from './support/fleet.js';
import { startStack, type Stack } from './support/stack.js';
import { runWo } from './support/standins.js';

/**
 * Issue 11, point 5 end to end: a site's facts (PHP, cache, SSL, health, disk bytes) go
 * from WordOps' site database through the agent (site events on NATS, ListSites over
 * gRPC) into the controller's inventory and out of `wofleet sites list --json`; what
 * changes behind the agent's back reaches the inventory by `wofleet servers sync` and
 * when the server comes back online. Real stack (nginx, PHP-FPM, MariaDB, the `wo`
 * stand-in keeping a real dbase.db), one `wofleet-agent serve`, the controller on PGlite.
 */
const PERIOD_S = 1;
const SERVER = 'web-01';
const CACHED = `cached.${SERVER}.test`;
const PLAIN = `plain.${SERVER}.test`;

interface SiteJson {
  server: string;
  site: { domain: string; php: string; cache: string; ssl: boolean; health: string; diskBytes: number; version: string; release: string };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('site facts from the agent to `wofleet sites list`', () => {
  let stack: Stack;
  let fleet: Fleet;
  let agent: FleetAgent;

  const sites = () => fleet.wofleetJson<SiteJson[]>(['sites', 'list']);
  async function waitForSites(what: string, check: (s: SiteJson[]) => boolean, timeoutMs = 15_000): Promise<SiteJson[]> {
    let last: SiteJson[] = [];
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; await sleep(250)) {
      last = await sites();
      if (check(last)) return last;
    }
    throw new Error(`${what} did not happen within ${timeoutMs} ms; last list: ${JSON.stringify(last, null, 2)}`);
  }
  const siteOf = (list: SiteJson[], domain: string) => list.find((s) => s.site.domain === domain)?.site;
  async function serverState(): Promise<string | undefined> {
    return (await fleet.wofleetJson<{ name: string; state: string }[]>(['servers', 'list'])).find((s) => s.name === SERVER)?.state;
  }
  async function waitForState(state: string, timeoutMs: number): Promise<void> {
    for (const deadline = Date.now() + timeoutMs; (await serverState()) !== state; await sleep(200)) {
      if (Date.now() > deadline) throw new Error(`${SERVER} did not become ${state} within ${timeoutMs} ms`);
    }
  }

  beforeAll(async () => {
    stack = await startStack();
    fleet = await startFleet({ agents: [SERVER], heartbeatSeconds: PERIOD_S, stack });
    agent = fleet.agent(SERVER);
  }, 300_000);
  afterAll(async () => {
    await fleet?.destroy();
    await stack?.stop();
  }, 60_000);

  it('a site created with --wpfc reaches the inventory with the facts `wo site info` shows, plus health and disk bytes', async () => {
    for (const args of [
      ['create', CACHED, '--wpfc'],
      ['create', PLAIN],
    ]) {
      const r = await agent.cli(args);
      expect(r.code, r.stderr).toBe(0);
    }
    const listed = await waitForSites('both sites listed', (s) => siteOf(s, CACHED) !== undefined && siteOf(s, PLAIN) !== undefined);
    for (const [domain, cache] of [
      [CACHED, 'wpfc'],
      [PLAIN, 'basic'],
    ] as const) {
      const info = parseSiteInfo(domain, cleanWoOutput((await runWo(stack, ['site', 'info', domain])).stdout));
      expect(info.cacheType).toBe(cache);
      const site = siteOf(listed, domain);
      expect(site).toMatchObject({
        php: info.phpVersion,
        cache: info.cacheType,
        ssl: info.ssl,
        health: 'ok',
        version: '6.4.5',
      });
      // The site's own directory (wp-config, uploads, links), not the shared core: some KiB, well under a core copy.
      expect(site?.diskBytes).toBeGreaterThan(4096);
      expect(site?.diskBytes).toBeLessThan(20 * 1024 * 1024);
    }
    expect(listed.every((s) => s.server === SERVER)).toBe(true);
    const human = await fleet.wofleet(['sites', 'list']);
    expect(human.stdout).toMatch(/^SERVER +DOMAIN +VERSION +RELEASE +PHP +CACHE +SSL +HEALTH +DISK *$/m);
    expect(human.stdout).toMatch(
      new RegExp(`^${SERVER} +${CACHED.replaceAll('.', '\\.')} +6\\.4\\.5 +\\S+ +8\\.2 +wpfc +no +ok +[\\d.]+ KiB *$`, 'm'),
    );
  }, 180_000);

  it('`servers sync` brings in what WordOps changed behind the agent (SSL turned on by `wo site update -le`)', async () => {
    const updated = await runWo(stack, ['site', 'update', CACHED, '-le']);
    expect(updated.exitCode, updated.stdout).toBe(0);
    expect(siteOf(await sites(), CACHED)?.ssl).toBe(false);
    const r = await fleet.wofleet(['servers', 'sync', SERVER, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const synced = JSON.parse(r.stdout) as { server: string; sites: SiteJson[]; removed: string[] };
    expect(synced.removed).toEqual([]);
    expect(synced.sites.map((s) => [s.site.domain, s.site.ssl, s.site.cache])).toEqual([
      [CACHED, true, 'wpfc'],
      [PLAIN, false, 'basic'],
    ]);
    expect(siteOf(await sites(), CACHED)?.ssl).toBe(true);
    const human = await fleet.wofleet(['servers', 'sync', SERVER]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^synced ${SERVER}: 2 site\\(s\\)$`, 'm'));
  }, 60_000);

  it('`servers sync` of an unknown server or of an agent that is down fails with one line, exit 1', async () => {
    const unknown = await fleet.wofleet(['servers', 'sync', 'nope-01']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe("wofleet: error: unknown server 'nope-01'\n");
    const invalid = await fleet.wofleet(['servers', 'sync', 'Not_A_Name']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr.trim().split('\n')).toHaveLength(1);

    expect(await agent.stop()).toBe(0);
    try {
      const down = await fleet.wofleet(['servers', 'sync', SERVER, '--json']);
      expect(down.code).toBe(1);
      expect(down.stdout).toBe('');
      expect(down.stderr).toMatch(
        new RegExp(`^wofleet: error: cannot reach agent ${SERVER} at ${agent.address.replace(/\./g, '\\.')}: .+\\n$`),
      );
    } finally {
      await agent.start();
    }
  }, 60_000);

  it('a server coming back online is synced: a change made while it was offline reaches the inventory by itself', async () => {
    expect(await agent.stop()).toBe(0);
    await waitForState('offline', 3 * PERIOD_S * 1000 + 5_000);
    const updated = await runWo(stack, ['site', 'update', PLAIN, '-le']);
    expect(updated.exitCode, updated.stdout).toBe(0);
    expect(siteOf(await sites(), PLAIN)?.ssl).toBe(false);
    await agent.start();
    await waitForState('online', 10_000);
    await waitForSites('the SSL of the plain site synced after the comeback', (s) => siteOf(s, PLAIN)?.ssl === true);
  }, 60_000);
});
