/**
 * Site facts end to end on real WordOps: two real-WordOps servers run by a controller
 * (tests/support/realwo-fleet.ts); the controller's inventory (`wofleet sites list`) is
 * compared with what the real `wo site info` prints on each server, before and after
 * WordOps changes a site behind the agent's back (SSL turned on with WordOps' own code,
 * then `wofleet servers sync`).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './support/agent.js';
import { startRealWoFleet, type RealWoFleet } from './support/realwo-fleet.js';
import type { RealWoServer } from './support/realwo.js';
import { Teardown } from './support/teardown.js';

interface SiteJson {
  server: string;
  site: { domain: string; php: string; cache: string; ssl: boolean; health: string; diskBytes: number; version: string };
}

const SERVERS = ['wo-f1', 'wo-f2'];
const SELF_SIGNED_SSL = path.join(REPO_ROOT, 'tests/support/realwo/ssl-self-signed.py');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `wo site info D` on the server, as the facts the inventory shows. */
async function woFacts(server: RealWoServer, domain: string) {
  const out = (await server.wo(['site', 'info', domain])).stdout;
  return {
    php: /PHP Version\t+\s*(\S+)/.exec(out)?.[1],
    cache: /Nginx configuration\t\s*\S+ (\S+)/.exec(out)?.[1],
    ssl: /SSL\t+\s*enabled/.test(out),
  };
}

describe('the controller inventory of real WordOps servers', () => {
  const teardown = new Teardown();
  let fleet: RealWoFleet;
  const sites = () => fleet.plane.wofleetJson<SiteJson[]>(['sites', 'list']);

  async function expectInventoryMatchesWordOps(): Promise<void> {
    const inventory = await sites();
    expect(inventory).toHaveLength(4);
    for (const { name, server, sites: domains } of fleet.servers) {
      for (const domain of domains) {
        const row = inventory.find((s) => s.server === name && s.site.domain === domain);
        expect(row, `${name} ${domain} in the inventory`).toBeDefined();
        expect({ php: row?.site.php, cache: row?.site.cache, ssl: row?.site.ssl }, `${name} ${domain}`).toEqual(
          await woFacts(server, domain),
        );
        expect(row?.site.diskBytes).toBeGreaterThan(0);
      }
    }
  }

  beforeAll(async () => {
    fleet = await startRealWoFleet(
      {
        servers: SERVERS,
        sites: (server) => [
          { domain: `a.${server}.test`, flags: [] },
          { domain: `b.${server}.test`, flags: ['--wpfc'] },
        ],
        heartbeatSeconds: 2,
      },
      teardown,
    );
  });
  afterAll(async () => {
    await teardown.run();
  });

  it('sites list shows the PHP, cache and SSL that wo site info prints on each server', async () => {
    for (const deadline = Date.now() + 60_000; (await sites()).length < 4 && Date.now() < deadline; ) await sleep(500);
    await expectInventoryMatchesWordOps();
  });

  it('servers sync brings in SSL that WordOps turned on behind the agent', async () => {
    const second = fleet.servers[1];
    if (!second) throw new Error('the fleet has two servers');
    const domain = `a.${second.name}.test`;
    const ssl = await second.server.exec(['/opt/wo/bin/python3', SELF_SIGNED_SSL, domain]);
    expect(ssl.exitCode, ssl.stderr + ssl.stdout).toBe(0);
    const synced = await fleet.plane.wofleetJson<{ server: string; sites: SiteJson[] }>(['servers', 'sync', second.name]);
    expect(synced.sites.find((s) => s.site.domain === domain)?.site).toMatchObject({ ssl: true, health: 'ok' });
    await expectInventoryMatchesWordOps();
  });
});
